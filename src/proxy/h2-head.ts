/**
 * @module proxy/h2-head
 * An HTTP/2 request head (node:http2's flat rawHeaders, pseudo-headers first) as the
 * HTTP/1.1 field list the rest of the request path reads (headers.ts). What differs:
 * - RFC 9113 §8.3.1: `:authority` is the target's authority and becomes Host. A Host field
 *   that names another authority makes the request malformed: refused (400), never sent
 *   on with one of the two picked. Without `:authority`, the client's Host is used.
 * - RFC 9113 §8.2.3: a client may split Cookie into several fields; they are joined with
 *   "; " into one, as an HTTP/1.1 server expects.
 * - The pseudo-headers themselves are dropped: `:method` and `:path` are the request line
 *   (Node gives them as req.method and req.url), `:scheme` is checked.
 * - RFC 9113 §6.5.2: the header list's size (each field's name and value plus 32 octets)
 *   is checked against what SETTINGS_MAX_HEADER_LIST_SIZE advertised: node:http2 advertises
 *   it but does not enforce it on what it receives. Over it: 431.
 * Connection-specific fields (RFC 9113 §8.2.2: Connection, Keep-Alive, Proxy-Connection,
 * Transfer-Encoding, Upgrade, TE other than "trailers") never get here: nghttp2 resets
 * such a stream with PROTOCOL_ERROR before Node emits it (test/integration/h2-limits).
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';

/** A request head read from HTTP/2, as HTTP/1.1 fields. */
export interface H2Head {
  /** Flat [name, value, ...]: the authority as `host` first, then the client's other fields. */
  readonly fields: string[];
  /** Why the request is refused (400 malformed, 431 too large), or undefined. */
  readonly problem: { readonly status: 400 | 431; readonly message: string } | undefined;
}

/**
 * The HTTP/1.1 fields of an HTTP/2 request's `raw` headers (Node's rawHeaders, names
 * lower-case as HTTP/2 requires).
 * @param maxListSize front.h2_max_header_list_size, bytes.
 */
export function h2RequestHead(raw: readonly string[], maxListSize: number): H2Head {
  let authority: string | undefined;
  let scheme: string | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  const rest: string[] = [];
  let size = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    size += name.length + value.length + 32;
    if (name.charCodeAt(0) === 58 /* : */) {
      if (name === ':authority') authority = value;
      else if (name === ':scheme') scheme = value;
      continue;
    }
    if (name === 'cookie') cookie = cookie === undefined ? value : `${cookie}; ${value}`;
    else if (name === 'host' && host === undefined) host = value;
    else rest.push(name, value);
  }
  let problem: H2Head['problem'];
  if (size > maxListSize) problem = { status: 431, message: `header list larger than ${maxListSize} bytes (front.h2_max_header_list_size)` };
  // Only http(s) targets are proxied; nghttp2 has checked that :scheme is there.
  else if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') problem = { status: 400, message: `:scheme ${JSON.stringify(scheme)} is not http or https` };
  else if (authority !== undefined && host !== undefined && host.toLowerCase() !== authority.toLowerCase()) problem = { status: 400, message: 'Host header does not match :authority' };
  const fields: string[] = [];
  // A second Host field stays in the list, so headers.ts refuses it as in HTTP/1.1.
  const target = authority ?? host;
  if (target !== undefined) fields.push('host', target);
  if (cookie !== undefined) fields.push('cookie', cookie);
  for (let i = 0; i < rest.length; i++) fields.push(rest[i]!);
  return { fields, problem };
}

/**
 * Whether `req` came over HTTP/2 (node:http2's compat request, which has its stream). Not
 * the version alone: an HTTP/1 parser reads "GET / HTTP/2.0" as version 2 too (a 505).
 */
export function isH2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2 && 'stream' in req;
}

/**
 * Whether an HTTP/2 request has a body: its HEADERS frame did not end the stream (RFC 9113
 * §8.1). Without Content-Length, such a body is forwarded as it arrives (chunked upstream).
 */
export function hasH2Body(req: IncomingMessage): boolean {
  return isH2(req) && !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
}

/**
 * The body of an HTTP/2 request, as a stream that ends only when the client ended it.
 * node:http2's compat request ends its body when its stream closes, a reset included (an
 * RST_STREAM mid-upload, or nghttp2's own reset for a DATA length that disagrees with
 * Content-Length, RFC 9113 §8.1.1), and the end comes before the 'aborted' that tells a
 * reset apart. Forwarded as is, a truncated upload would reach the upstream as a complete
 * chunked body. So the end is passed on one turn of the event loop later, once the reset
 * (handled in the same socket read) would have marked the stream aborted; an aborted
 * stream's body errors instead, and the upstream request is aborted with it.
 */
export function h2Body(req: IncomingMessage): Readable {
  const stream = (req as unknown as Http2ServerRequest).stream;
  const body = new PassThrough();
  // Its reader (undici, or the request buffer) has its own listener; this one keeps an error
  // after that reader has gone from being thrown.
  body.on('error', () => {});
  req.pipe(body, { end: false });
  req.once('end', () => setImmediate(() => (stream.aborted ? body.destroy(new Error('HTTP/2 stream reset before its body ended')) : body.end())));
  req.once('aborted', () => {
    if (!req.readableEnded) body.destroy(new Error('HTTP/2 stream reset before its body ended'));
  });
  return body;
}

/**
 * The fields node:http2 sends at most once (its kSingleValueHeaders; a second copy makes it
 * throw, which would leave the stream unanswered). An HTTP/1.1 upstream may repeat them.
 */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/**
 * Drops, in place, the repeated copies of fields HTTP/2 responses carry once (the first
 * copy stands, as most clients read the first), from a flat [name, value, ...] list with
 * lower-case names. Other repeated fields (Set-Cookie) are left as they are.
 */
export function dropRepeatedSingles(flat: string[]): void {
  let seen: Set<string> | undefined;
  let w = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    if (SINGLE_VALUE.has(name)) {
      if (seen?.has(name)) continue;
      (seen ??= new Set()).add(name);
    }
    flat[w++] = name;
    flat[w++] = flat[i + 1]!;
  }
  flat.length = w;
}
