/**
 * @module core/config-route
 * Config types of what a route does beside choosing its upstream: header rewriting
 * (config/validate-route-rules.ts reads it, proxy/route-headers.ts applies it). Types only.
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
