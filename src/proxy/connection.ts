/**
 * @module proxy/connection
 * What bulwark keeps on a client connection, beside Node's own state. Node parses
 * pipelined requests ahead of their responses (RFC 9112 §9.3.2), which leaves two gaps:
 * - it hands over requests queued behind one answered with `Connection: close`: a
 *   condemned connection serves none of them (the client will not get the answers, and a
 *   smuggled request must not reach a server);
 * - a response queued behind earlier ones has no socket yet, and Node never closes it
 *   when the client leaves: its owner watches the connection itself.
 * It also keeps how many bytes the connection had read and written when its last request
 * was logged, so each access record gets its own request's share.
 */
import type { Socket } from 'node:net';

const kCondemned = Symbol('bulwark.condemned');
const kQueued = Symbol('bulwark.queuedExchanges');
const kRead = Symbol('bulwark.bytesReadLogged');
const kWritten = Symbol('bulwark.bytesWrittenLogged');

/** An exchange waiting behind earlier responses on its connection. */
export interface Queued {
  abortFromClient(): void;
}

type Conn = Socket & { [kCondemned]?: boolean; [kQueued]?: Set<Queued>; [kRead]?: number; [kWritten]?: number };

/** `n`, a running total of the connection's, less its value at the last call with `mark`; keeps `n`. */
function since(c: Conn, mark: typeof kRead | typeof kWritten, n: number): number {
  // An HTTP/2 request's socket stand-in has no counts once its stream has closed.
  if (n === undefined) return 0;
  const d = n - (c[mark] ?? 0);
  c[mark] = n;
  return d;
}

/**
 * Bytes read from the client connection since the last call for it: on a keep-alive
 * connection, the head and body of the request now logged (with pipelining, also what was
 * already read of the requests behind it). 0 without a connection.
 */
export function takeBytesRead(socket: Socket | null): number {
  return socket === null ? 0 : since(socket as Conn, kRead, socket.bytesRead);
}

/** Bytes written (or queued) to the client connection since the last call: the response's head and body. */
export function takeBytesWritten(socket: Socket | null): number {
  return socket === null ? 0 : since(socket as Conn, kWritten, socket.bytesWritten);
}

/** Marks the connection as closing after the response now going out. */
export function condemn(socket: Socket | null): void {
  if (socket !== null) (socket as Conn)[kCondemned] = true;
}

export function isCondemned(socket: Socket | null): boolean {
  return (socket as Conn | null)?.[kCondemned] === true;
}

/** Aborts `q` if `conn` closes before `unwatch`. One 'close' listener per connection, however deep the pipeline. */
export function watchQueued(conn: Socket, q: Queued): void {
  const c = conn as Conn;
  let queued = c[kQueued];
  if (queued === undefined) {
    queued = c[kQueued] = new Set();
    c.once('close', onConnClose);
  }
  queued.add(q);
}

export function unwatch(conn: Socket, q: Queued): void {
  (conn as Conn)[kQueued]?.delete(q);
}

function onConnClose(this: Conn): void {
  for (const q of this[kQueued]!) q.abortFromClient();
}
