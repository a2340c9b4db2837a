/**
 * @module core/config-route
 * Config types of a route's traffic split (config/validate-route-split.ts reads it,
 * proxy/route-split.ts applies it) and of its header rewriting (config/validate-route-headers,
 * proxy/route-headers). Types only.
 */

/** The variables a header value may use: `${client_ip}`, `${request_id}`. */
export const HEADER_VARIABLES = ['client_ip', 'request_id'] as const;
export type HeaderVariable = (typeof HEADER_VARIABLES)[number];

/** Fields set (replacing any the message had) and removed on one side of an exchange. */
export interface HeaderEdits {
  /** Lower-case name → value as written, `${...}` variables unexpanded. */
  readonly set: Readonly<Record<string, string>>;
  /** Lower-case names. */
  readonly remove: readonly string[];
}

/** `headers:` on a route: the request forwarded upstream, and the upstream's response. */
export interface RouteHeaders {
  readonly request: HeaderEdits;
  readonly response: HeaderEdits;
}

/** One side of a weighted split (a canary): `weight` out of the split's total goes to `upstream`. */
export interface SplitTarget {
  readonly upstream: string;
  /** A positive integer. */
  readonly weight: number;
}

/**
 * What keeps a client on its side of a split: a cookie bulwark sets to the upstream's name,
 * or a request header whose value is hashed onto the weights.
 */
export interface SplitSticky {
  readonly kind: 'cookie' | 'header';
  /** A cookie name as written; a header name lower-cased. */
  readonly name: string;
}
