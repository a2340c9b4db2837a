/**
 * @module proxy/front-h2
 * HTTP/2 to clients (RFC 9113): the node:http2 servers of listeners with `http2: true`,
 * cleartext h2c with prior knowledge on a plain listener, h2 and http/1.1 by ALPN on a TLS
 * one (front.ts picks which). Streams go through the same request path as HTTP/1.1
 * requests: node:http2's compat request and response stand in for node:http's, and the
 * few places that differ ask h2-head.ts's isH2 (request-head.ts, respond.ts,
 * response-writer.ts, proxy.ts).
 *
 * Limits (front.h2_*): SETTINGS_MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE are
 * advertised here; nghttp2 refuses a stream past the first, h2-head.ts answers 431 past the
 * second (Node does not enforce it on what it receives). Node's own caps on invalid frames,
 * refused streams and SETTINGS entries stay on; h2-guard.ts adds what Node lacks.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { FrontConfig } from '../core/config.js';
import { guardH2Server, markCut, updateGuard } from './h2-guard.js';
import type { ResponseOwner } from './response-writer.js';

/**
 * The response class of HTTP/2 streams: as ProxyResponse, its owner is a plain field. A
 * stream bulwark itself cuts (an upstream failed mid-body) is marked, so the reset cap
 * counts only the client's resets.
 */
export class ProxyH2Response extends http2.Http2ServerResponse {
  exchange: ResponseOwner | undefined = undefined;
  override destroy(err?: Error): this {
    markCut(this.stream);
    return super.destroy(err);
  }
}

/** The HTTP/2 settings and limits of `front`, for http2.createServer and createSecureServer. */
export function h2Options(front: FrontConfig): http2.ServerOptions {
  return {
    settings: { maxConcurrentStreams: front.h2_max_concurrent_streams, maxHeaderListSize: front.h2_max_header_list_size },
    // The field count is front.max_headers' (request-head.ts answers 431); the pseudo-headers
    // and a margin are on top, so Node does not reset the stream first.
    maxHeaderListPairs: front.max_headers + 8,
    // Node's defaults, stated: 1000 invalid frames, 100 refused streams per session.
    maxSessionInvalidFrames: 1000,
    maxSessionRejectedStreams: 100,
    Http2ServerResponse: ProxyH2Response as unknown as typeof http2.Http2ServerResponse,
  };
}

/** A cleartext h2c server (prior knowledge, RFC 9113 §3.3): a plain listener with `http2: true`. */
export function createH2cServer(front: FrontConfig): http.Server {
  return guardH2Server(http2.createServer(h2Options(front)), front);
}

/**
 * A TLS listener with `http2`: ALPN h2 or http/1.1 (allowHTTP1), one port for both.
 * @param h1 the node:http options every HTTP/1.1 listener gets: node:http2 takes the
 *   response class as an option and the rest as properties (applyFront sets the timeouts).
 */
export function createH2TlsServer(h1: http.ServerOptions, secure: tls.TlsOptions, front: FrontConfig): http.Server {
  const server = http2.createSecureServer({
    ...secure,
    ...h2Options(front),
    allowHTTP1: true,
    ALPNProtocols: ['h2', 'http/1.1'],
    Http1ServerResponse: h1.ServerResponse as unknown as typeof http.ServerResponse,
  });
  const props = server as unknown as { maxHeaderSize?: number; connectionsCheckingInterval?: number };
  props.maxHeaderSize = h1.maxHeaderSize;
  props.connectionsCheckingInterval = h1.connectionsCheckingInterval;
  return guardH2Server(server, front);
}

/** Applies a reload's front settings to an HTTP/2 server: new sessions get the new SETTINGS, open ones the new caps. */
export function applyH2(server: http.Server, front: FrontConfig): void {
  if (updateGuard(server, front)) (server as unknown as http2.Http2Server).updateSettings(h2Options(front).settings!);
}

/**
 * The 'connect' listener of an HTTP/2 server: node:http2 emits CONNECT streams as
 * (request, response), HTTP/1.1 as (request, socket). An HTTP/2 one goes to `handle`,
 * which refuses it (405, logged); extended CONNECT (RFC 8441) is never enabled, so
 * nghttp2 resets a stream with :protocol itself.
 */
export function h2Connect(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void, h1: (req: http.IncomingMessage, socket: Duplex) => void): (req: http.IncomingMessage, second: unknown) => void {
  return (req, second) => (req.httpVersionMajor === 2 ? handle(req, second as http.ServerResponse) : h1(req, second as Duplex));
}
