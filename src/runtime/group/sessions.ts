/**
 * @module runtime/group/sessions
 * Sticky sessions shared by a worker group (issue 15). The primary's tables are the group's:
 * /sessions/export, /sessions/import and the backup sidecar read and write them. Each worker
 * keeps a replica in its own StickyTable and answers every request from it (a Map lookup);
 * its store (WorkerSessions.factory) also:
 * - sends each pin it makes to the primary at once, which applies it and passes it to every
 *   other worker. Not batched: with SCHED_RR the primary hands each new connection to a
 *   worker over the same ordered channel, so a pin it has passed on reaches the other workers
 *   before the client's next connection does (the pin is sent before the response goes out:
 *   StickyStore.set's contract);
 * - notes the keys it reads (one Set.add a hit) and sends them as one `touch` every
 *   TOUCH_EVERY_MS (or ttl/4, if less), so a session used only through one worker does not
 *   expire in the others' copies. A copy that had already expired it stays without it: a
 *   session idle for nearly its whole ttl, then used within one touch interval of its expiry,
 *   may be forgotten by the other processes.
 * A worker starting gets the primary's entries in its init message; an import into the
 * primary reaches every worker as a `sessions` message. What a worker applies from the
 * primary goes straight into its table, never back through the store.
 */
import type { StickyEntry, StickyStore, StickyStoreFactory } from '../../balancer/sticky/index.js';
import type { ProxyState } from '../../proxy/state.js';
import { importEntries } from '../sessions.js';
import type { PinMessage, SessionsMessage, TouchMessage } from './messages.js';

/** The longest a read key waits before its touch goes out. */
export const TOUCH_EVERY_MS = 1_000;
/** The shortest touch interval, whatever the ttl. */
const MIN_TOUCH_EVERY_MS = 10;

/** Applies a pin, a touch or an import to this process's tables (a primary's, or a worker's replica). */
export function applySessions(state: ProxyState, m: PinMessage | TouchMessage | SessionsMessage): void {
  if (m.type === 'sessions') return void importEntries(state, m.entries, m.mode);
  const table = state.upstreams.get(m.upstream)?.affinity?.table;
  if (table === undefined) return; // that upstream has no sticky table (any more)
  if (m.type === 'pin') table.set(m.key, m.server, m.reason);
  else for (const key of m.keys) table.get(key); // restarts its ttl; an expired one is dropped
}

/** Every session of every sticky table, least recently used first (a worker's init). */
export function allSessions(state: ProxyState): StickyEntry[] {
  const out: StickyEntry[] = [];
  for (const u of state.upstreams.values()) if (u.affinity !== undefined) out.push(...u.affinity.table.entries());
  return out;
}

/** A worker's side: the stores its upstreams pin through, and the touches they owe the primary. */
export class WorkerSessions {
  readonly #send: (m: PinMessage | TouchMessage) => void;
  /** Keys read since the last flush, by upstream (a Set each, kept across reloads). */
  readonly #read = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #every = TOUCH_EVERY_MS;

  constructor(send: (m: PinMessage | TouchMessage) => void) {
    this.#send = send;
  }

  /** The StickyStoreFactory for this worker's Proxy (called again for a table a reload keeps). */
  readonly factory: StickyStoreFactory = (table) => {
    const upstream = table.upstream;
    let read = this.#read.get(upstream);
    if (read === undefined) this.#read.set(upstream, (read = new Set()));
    this.#schedule(table.ttl / 4);
    const send = this.#send;
    const seen = read;
    const store: StickyStore = {
      get(key) {
        const server = table.get(key);
        if (server !== undefined) seen.add(key);
        return server;
      },
      set(key, server, reason = 'other') {
        table.set(key, server, reason);
        send({ type: 'pin', upstream, key, server, reason });
      },
    };
    return store;
  };

  /** Sends the keys read since the last flush, one message per upstream that has any. */
  flush(): void {
    for (const [upstream, keys] of this.#read) {
      if (keys.size === 0) continue;
      this.#send({ type: 'touch', upstream, keys: [...keys] });
      keys.clear();
    }
  }

  /** Stops the touch timer (what was read since the last flush is not sent). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Flushes every `ms` (TOUCH_EVERY_MS at most); a shorter ttl met later shortens it. Never holds the process open. */
  #schedule(ms: number): void {
    const every = Math.max(MIN_TOUCH_EVERY_MS, Math.min(TOUCH_EVERY_MS, ms));
    if (this.#timer !== undefined && every >= this.#every) return;
    clearInterval(this.#timer);
    this.#every = every;
    this.#timer = setInterval(() => this.flush(), every).unref();
  }
}
