/**
 * @module proxy/headers
 * Header rewriting in both directions. RFC 9110 §7.6.1: a proxy must not forward
 * hop-by-hop fields, which are the fixed set below plus every field named in
 * Connection. We strip *before* adding our own fields, so a client sending
 * `Connection: close, X-Forwarded-For` cannot remove what bulwark adds.
 * Works on Node's rawHeaders (a flat [name, value, ...] list) so duplicate fields are
 * seen (a duplicate Host is a 400, RFC 9112 §3.2) and nothing is joined or re-parsed.
 */
import { NO_TRUSTED_PROXIES, forwardedFor, type TrustedProxies } from './client-address.js';
import { HOP_BY_HOP_FIELDS, commonField, isKeepAliveOrClose } from './header-names.js';

/** Fixed hop-by-hop fields (lower-case). `te` is handled apart: only "trailers" survives. */
const HOP_BY_HOP = new Set(HOP_BY_HOP_FIELDS);

/** Connection values that name no end-to-end field ("keep-alive" is itself hop-by-hop). */
const SIMPLE_CONNECTION = new Set(['keep-alive', 'close']);

/** host[:port] where host is a reg-name, IPv4 or a bracketed IPv6 literal (RFC 3986 §3.2.2). */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]{0,5})?$/;

/** Request ids we accept from clients: short and printable, so they are safe in logs. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export interface RequestHeadInfo {
  /** The flat [name, value, ...] list to send upstream. */
  readonly headers: string[];
  /** The Host value (undefined when absent). */
  readonly host: string | undefined;
  readonly requestId: string;
  /** Set when the head must be refused with 400; names the problem. */
  readonly error: string | undefined;
  /** The Content-Length value (the first one; Node's parser refuses conflicting ones). */
  readonly contentLength: string | undefined;
  /** Whether the request has a Transfer-Encoding (its body is chunked). */
  readonly chunked: boolean;
  /** Every Transfer-Encoding value, joined with ", " (for core/framing); undefined when none. */
  readonly transferEncoding: string | undefined;
  /** The client's address: the peer, or from X-Forwarded-For when the peer is trusted (client-address.ts). */
  readonly clientIp: string;
}

/**
 * Adds the field names a Connection value lists (lower-case) to `tokens`. Nearly every
 * message says just "keep-alive" or "close", which name no field to drop: no parse then.
 */
function addTokens(tokens: Set<string> | undefined, value: string): Set<string> | undefined {
  if (SIMPLE_CONNECTION.has(value.toLowerCase())) return tokens;
  for (const t of value.split(',')) {
    const tok = t.trim().toLowerCase();
    if (tok) (tokens ??= new Set()).add(tok);
  }
  return tokens;
}

/** Collects the field names listed in Connection headers (lower-case). */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') tokens = addTokens(tokens, raw[i + 1]!);
  }
  return tokens;
}

/**
 * Builds the upstream request head from the client's raw headers.
 * @param clientIp the connection's peer (client-address.ts peerAddress): X-Forwarded-For
 *   becomes it, or has it appended when `trusted` holds it.
 * @param proto the scheme the client used ("http" or "https").
 * @param newId generates a request id when the client sent none.
 * @param authority the authority of an absolute-form request target: it replaces the
 *   client's Host (RFC 9112 §3.2.2: a proxy generates Host from the target).
 * @param underscores forward field names containing "_" (front.underscores_in_headers).
 */
export function forwardRequestHeaders(
  raw: readonly string[],
  clientIp: string,
  proto: string,
  newId: () => string,
  authority?: string,
  underscores = false,
  trusted: TrustedProxies = NO_TRUSTED_PROXIES,
): RequestHeadInfo {
  const dropped = connectionTokens(raw);
  const out: string[] = [];
  let host: string | undefined;
  let hostCount = 0;
  let xff: string | undefined;
  let requestId: string | undefined;
  let error: string | undefined;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;

  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'transfer-encoding') transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      // TE: only "trailers" may be forwarded (RFC 9110 §10.1.4).
      if (lower === 'te' && value.split(',').some((v) => v.trim().toLowerCase() === 'trailers')) out.push('te', 'trailers');
      continue;
    }
    // The body's framing is Node's parser's, whatever Connection names (RFC 9110 §7.6.1).
    if (lower === 'content-length') contentLength ??= value;
    if (dropped !== undefined && dropped.has(lower)) continue;
    // Many servers (CGI, PHP, Rails, Django) read X_Forwarded_For as X-Forwarded-For, so a
    // client could shadow the field bulwark sets: nginx drops such names by default too.
    if (!underscores && name.includes('_')) continue;
    switch (lower) {
      case 'host':
        hostCount++;
        host = value;
        if (authority === undefined) out.push(name, value);
        continue;
      case 'x-forwarded-for':
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'forwarded':
        // Ours replace the client's: only bulwark knows how the client connected. A client's
        // RFC 7239 Forwarded would otherwise vouch for any address it likes.
        continue;
      case 'x-request-id':
        if (requestId === undefined && VALID_REQUEST_ID.test(value)) requestId = value;
        continue;
    }
    out.push(name, value);
  }

  if (hostCount > 1) error = 'duplicate Host header';
  else if (host !== undefined && !VALID_HOST.test(host)) error = 'invalid Host header';
  if (authority !== undefined) {
    host = authority;
    out.push('host', authority);
  }

  requestId ??= newId();
  const fwd = forwardedFor(clientIp, xff, trusted);
  out.push('x-forwarded-for', fwd.header);
  out.push('x-forwarded-proto', proto);
  if (host !== undefined) out.push('x-forwarded-host', host);
  out.push('x-request-id', requestId);
  return { headers: out, host, requestId, error, contentLength, chunked: transferEncoding !== undefined, transferEncoding, clientIp: fwd.client };
}

/**
 * Builds the client response head from undici's raw response head (a flat [name, value,
 * ...] Buffer list): hop-by-hop fields and fields named in Connection are dropped, repeated
 * fields (Set-Cookie) stay separate, and the request id is added. Names come out lower-case.
 * Bytes are kept as they are (latin1 both ways: Node writes header strings as latin1).
 * Returns Node's flat [name, value, ...] form for writeHead.
 */
export function forwardResponseHeaders(raw: readonly Buffer[], requestId: string): string[] {
  const out: string[] = [];
  let dropped: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const f = commonField(raw[i]!);
    if (f === undefined) {
      // Neither hop-by-hop nor X-Request-Id: those are common names (see header-names.ts).
      out.push(raw[i]!.toString('latin1').toLowerCase(), raw[i + 1]!.toString('latin1'));
      continue;
    }
    const name = f.name;
    if (f.hopByHop) {
      if (name === 'connection' && !isKeepAliveOrClose(raw[i + 1]!)) dropped = addTokens(dropped, raw[i + 1]!.toString('latin1'));
      continue;
    }
    if (name === 'x-request-id') continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  // Connection may come after the fields it names: filter afterwards (rare).
  if (dropped !== undefined) dropFields(out, (name) => dropped.has(name));
  out.push('x-request-id', requestId);
  return out;
}

/**
 * The trailer fields to pass on from undici's raw trailer list, by lower-case name (repeated
 * ones as a list); undefined when none is left. Hop-by-hop fields and framing fields are
 * never trailers (RFC 9110 §6.5.1); HTTP/2 refuses connection-specific ones outright.
 */
export function forwardTrailers(raw: ReadonlyArray<Buffer | string>): Record<string, string | string[]> | undefined {
  let out: Record<string, string | string[]> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!).toLowerCase();
    if (HOP_BY_HOP.has(name) || name === 'content-length' || name === 'host') continue;
    const value = latin1(raw[i + 1]!);
    const prev = (out ??= {})[name];
    out[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

const latin1 = (b: Buffer | string): string => (typeof b === 'string' ? b : b.toString('latin1'));

/** Removes, in place, the fields whose (lower-case) name `drop` accepts from a flat [name, value, ...] list. */
export function dropFields(flat: string[], drop: (name: string) => boolean): void {
  let w = 0;
  for (let i = 0; i < flat.length; i += 2) {
    if (drop(flat[i]!)) continue;
    flat[w++] = flat[i]!;
    flat[w++] = flat[i + 1]!;
  }
  flat.length = w;
}

/** The values of every `name` field in a flat [name, value, ...] list with lower-case names. */
export function headerValues(flat: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) values.push(flat[i + 1]!);
  return values;
}
