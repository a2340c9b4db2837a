/**
 * @module proxy/front-h2
 * HTTP/2 to clients (RFC 9113): the node:http2 servers of listeners with `http2: true`,
 * cleartext h2c with prior knowledge on a plain listener, h2 and http/1.1 by ALPN on a TLS
 * one (front.ts makes that one; it takes `h2Options`). Streams go through the same request
 * path as HTTP/1.1 requests: node:http2's compat request and response stand in for
 * node:http's, and the few places that differ branch on `httpVersionMajor === 2`
 * (request-head.ts via h2-head.ts, respond.ts, response-writer.ts, proxy.ts).
 *
 * Abuse limits (front.h2_*): SETTINGS_MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE are
 * advertised; nghttp2 refuses a stream past the first, h2-head.ts answers 431 past the
 * second (Node does not enforce it on what it receives); Node's
 * own caps on invalid frames, refused streams and SETTINGS entries stay on. What Node
 * lacks is counted here, per connection and per second: streams the client reset before
 * their response ended ("rapid reset", CVE-2023-44487: each one costs an upstream request
 * while the client pays one frame), and PING and SETTINGS frames; past either cap the
 * connection gets GOAWAY(ENHANCE_YOUR_CALM) and is closed.
 *
 * A drain or a retiring listener (front.ts, listeners.ts) calls the server's
 * closeIdleConnections and closeAllConnections, which node:http2 servers lack: here they
 * send GOAWAY to every session (open streams finish) and destroy them.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { FrontConfig } from '../core/config.js';
import type { ResponseOwner } from './response-writer.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

const kCut = Symbol('bulwark.cutByProxy');
const kGuard = Symbol('bulwark.h2Guard');

/**
 * The response class of HTTP/2 streams: as ProxyResponse, its owner is a plain field. A
 * stream bulwark itself cuts (an upstream failed mid-body) is marked, so the reset cap
 * counts only the client's resets.
 */
export class ProxyH2Response extends http2.Http2ServerResponse {
  exchange: ResponseOwner | undefined = undefined;
  override destroy(err?: Error): this {
    (this.stream as unknown as Record<symbol, boolean>)[kCut] = true;
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

/** The live limits and sessions of one HTTP/2 server (replaced in place on reload). */
class Guard {
  readonly sessions = new Set<http2.ServerHttp2Session>();
  constructor(public front: FrontConfig) {}
}

/** Counts events in the current one-second window; true once `max` is passed. */
class Rate {
  #start = 0;
  #n = 0;
  over(max: number): boolean {
    const now = performance.now();
    if (now - this.#start >= 1000) {
      this.#start = now;
      this.#n = 0;
    }
    return ++this.#n > max;
  }
}

/** The request body did not arrive within front.timeouts.request: the stream is reset (CANCEL). */
function cutSlow(stream: http2.ServerHttp2Stream): void {
  if (stream.closed || stream.readableEnded) return;
  (stream as unknown as Record<symbol, boolean>)[kCut] = true;
  stream.close(NGHTTP2_CANCEL);
}

function calm(session: http2.ServerHttp2Session, what: string): void {
  if (!session.destroyed) session.destroy(new Error(`client over front.${what}`), NGHTTP2_ENHANCE_YOUR_CALM);
}

/** Watches one client connection: its open streams, resets and control frames, and its idle time. */
function watchSession(guard: Guard, session: http2.ServerHttp2Session): void {
  guard.sessions.add(session);
  const resets = new Rate();
  const control = new Rate();
  let open = 0;
  const onControl = (): void => {
    if (control.over(guard.front.h2_max_control_frames_per_second)) calm(session, 'h2_max_control_frames_per_second');
  };
  session.on('ping', onControl);
  session.on('remoteSettings', onControl);
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    open++;
    // front.timeouts.request, as Node's requestTimeout for HTTP/1.1: a request body still
    // coming in after it (a slow upload holding its stream) has its stream reset.
    const slow = stream.endAfterHeaders ? undefined : setTimeout(cutSlow, guard.front.timeouts.request, stream);
    if (slow !== undefined) stream.once('end', () => clearTimeout(slow));
    stream.once('close', () => {
      clearTimeout(slow);
      open--;
      const cut = (stream as unknown as Record<symbol, boolean>)[kCut] === true;
      // `aborted`: closed before the response ended (Node ends the writable side itself then).
      if (stream.aborted && !cut && resets.over(guard.front.h2_max_resets_per_second)) calm(session, 'h2_max_resets_per_second');
    });
  });
  // front.timeouts.keep_alive: a connection with no open stream and no traffic for that long
  // is closed (GOAWAY first). One with open streams is left to them (send timeout, spool.ts).
  session.setTimeout(guard.front.timeouts.keep_alive, () => {
    if (open === 0) session.close();
  });
  session.once('close', () => guard.sessions.delete(session));
  // A socket error ends the session; without a listener it would be thrown.
  session.on('error', () => {});
}

/**
 * Guards every session of an HTTP/2 server with `front`'s limits and gives it the drain
 * methods of an http.Server (see the module comment). An http/1.1 connection on a TLS
 * listener keeps Node's own methods, which still run.
 */
export function guardH2Server(server: http2.Http2Server | http2.Http2SecureServer, front: FrontConfig): http.Server {
  const guard = new Guard(front);
  const s = server as unknown as http.Server & Record<symbol, Guard>;
  s[kGuard] = guard;
  server.on('session', (session: http2.ServerHttp2Session) => watchSession(guard, session));
  const h1Idle = s.closeIdleConnections?.bind(s);
  const h1All = s.closeAllConnections?.bind(s);
  s.closeIdleConnections = () => {
    h1Idle?.();
    for (const session of guard.sessions) if (!session.closed) session.close();
  };
  s.closeAllConnections = () => {
    h1All?.();
    for (const session of guard.sessions) session.destroy();
  };
  return s;
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
  const guard = (server as unknown as Record<symbol, Guard | undefined>)[kGuard];
  if (guard === undefined) return;
  guard.front = front;
  (server as unknown as http2.Http2Server).updateSettings(h2Options(front).settings!);
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
