/**
 * @module proxy/h2-guard
 * The abuse limits of HTTP/2 connections that node:http2 lacks (front.h2_*), counted per
 * connection and per second: streams the client reset before their response ended ("rapid
 * reset", CVE-2023-44487: each one costs an upstream request while the client pays one
 * frame), and PING and SETTINGS frames; past either cap the connection gets
 * GOAWAY(ENHANCE_YOUR_CALM) and is closed, and `onLimit` told (runtime/ logs it). Also the front timeouts, per connection
 * (keep_alive: idle with no open stream) and per stream (request: a body still coming).
 *
 * A drain or a retiring listener (front.ts, listeners.ts) calls the server's
 * closeIdleConnections and closeAllConnections, which node:http2 servers lack: here they
 * send GOAWAY to every session (open streams finish) and destroy them.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FrontConfig } from '../core/config.js';
import { peerAddress } from './client-address.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

const kCut = Symbol('bulwark.cutByProxy');
const kGuard = Symbol('bulwark.h2Guard');

/** Marks a stream bulwark itself cuts (not the client's reset: the reset cap skips it). */
export function markCut(stream: http2.Http2Stream): void {
  (stream as unknown as Record<symbol, boolean>)[kCut] = true;
}

/** Told of a connection closed for going over a cap: the client's address and the key ("front.h2_..."). */
export type H2LimitHook = (peer: string, limit: string) => void;

/** The live limits and sessions of one HTTP/2 server (replaced in place on reload). */
class Guard {
  readonly sessions = new Set<http2.ServerHttp2Session>();
  onLimit: H2LimitHook | undefined;
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
  markCut(stream);
  stream.close(NGHTTP2_CANCEL);
}

function calm(guard: Guard, session: http2.ServerHttp2Session, what: string): void {
  if (session.destroyed) return;
  guard.onLimit?.(peerAddress(session.socket as Socket), `front.${what}`);
  session.destroy(new Error(`client over front.${what}`), NGHTTP2_ENHANCE_YOUR_CALM);
}

/**
 * The socket under a session: node:http2 hands out only a proxy of it, which refuses
 * destroy(), and keeps the socket itself under an internal symbol (read defensively).
 */
function socketOf(session: http2.ServerHttp2Session): Duplex | undefined {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'socket');
  return key === undefined ? undefined : (session as unknown as Record<symbol, Duplex | undefined>)[key];
}

/** Watches one client connection: its open streams, resets and control frames, and its idle time. */
function watchSession(guard: Guard, session: http2.ServerHttp2Session): void {
  guard.sessions.add(session);
  const resets = new Rate();
  const control = new Rate();
  let open = 0;
  const onControl = (): void => {
    if (control.over(guard.front.h2_max_control_frames_per_second)) calm(guard, session, 'h2_max_control_frames_per_second');
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
      if (stream.aborted && !cut && resets.over(guard.front.h2_max_resets_per_second)) calm(guard, session, 'h2_max_resets_per_second');
    });
  });
  // front.timeouts.keep_alive: a connection with no open stream and no traffic for that long
  // is closed (GOAWAY first). One with open streams is left to them (send timeout, spool.ts).
  session.setTimeout(guard.front.timeouts.keep_alive, () => {
    if (open > 0) return;
    const socket = socketOf(session);
    session.close();
    // close() ends the socket and waits for it to finish, which a client that neither reads
    // nor closes (no preface, a header block never ended) never lets happen: its socket
    // would be held for ever. It gets one more idle period, then it is cut.
    if (socket !== undefined) setTimeout(() => socket.destroy(), guard.front.timeouts.keep_alive).unref();
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

/** Sets who is told of connections closed for going over a cap (no-op on a server that is not HTTP/2). */
export function onH2Limit(server: http.Server, hook: H2LimitHook): void {
  const guard = (server as unknown as Record<symbol, Guard | undefined>)[kGuard];
  if (guard !== undefined) guard.onLimit = hook;
}

/** Gives a reload's front settings to the guard of `server`; false when it is not an HTTP/2 server. */
export function updateGuard(server: http.Server, front: FrontConfig): boolean {
  const guard = (server as unknown as Record<symbol, Guard | undefined>)[kGuard];
  if (guard === undefined) return false;
  guard.front = front;
  return true;
}
