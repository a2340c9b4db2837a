/**
 * @module proxy/connection
 * What bulwark keeps on a client connection, beside Node's own state. Node parses
 * pipelined requests ahead of their responses (RFC 9112 §9.3.2), which leaves two gaps:
 * - it hands over requests queued behind one answered with `Connection: close`: a
 *   condemned connection serves none of them (the client will not get the answers, and a
 *   smuggled request must not reach a server);
 * - a response queued behind earlier ones has no socket yet, and Node never closes it
 *   when the client leaves: its owner watches the connection itself.
 */
import type { Socket } from 'node:net';

const kCondemned = Symbol('bulwark.condemned');
const kQueued = Symbol('bulwark.queuedExchanges');

/** An exchange waiting behind earlier responses on its connection. */
export interface Queued {
  abortFromClient(): void;
}

type Conn = Socket & { [kCondemned]?: boolean; [kQueued]?: Set<Queued> };

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
