/**
 * @module balancer/sticky/store
 * Where the proxy reads and writes one upstream's pins (issue 15: "local, group-owned"). The
 * proxy (proxy/affinity) only calls get() and set() on a StickyStore; what else a set() must
 * reach is the store's business. The local store is the StickyTable itself: one process, no
 * extra call on the request path. A store that shares pins (a worker group's primary, later
 * an external store) wraps this process's table, reads it locally, and sends on each pin it
 * makes. The table stays the process's copy for metrics, export and import.
 * A store must: answer get() synchronously from memory (it runs on every request), apply a
 * set() to its local table before returning (the response being forwarded relies on it),
 * and keep the table's ttl semantics (get() restarts a pin's ttl).
 */
import type { CookieSigner } from './signed.js';
import type { RepinReason, StickyTable } from './table.js';

export interface StickyStore {
  /** The server `key` is pinned to, restarting its ttl; undefined when none (or expired). */
  get(key: string): string | undefined;
  /** Pins `key` to `server` for a fresh ttl; `reason` says why a live pin moved (see REPIN_REASONS). */
  set(key: string, server: string, reason?: RepinReason | 'other'): void;
  /**
   * Optional, for a store shared beyond this process (a fleet's Redis): called once for a
   * request whose key get() does not know. Returns undefined when there is nothing to wait
   * for; else a promise that settles (never rejects) once the pin, if found elsewhere, is in
   * the local table, or once the store's own bound on the wait has passed.
   */
  lookup?(key: string): Promise<void> | undefined;
  /**
   * Optional, cookie mode only: the cookie carries its server, signed (see signed.ts), and
   * the proxy reads and mints cookies with it instead of pinning through get() and set().
   */
  readonly signer?: CookieSigner;
}

/**
 * Builds an upstream's store around its table (called again after a reload that kept the
 * table); `servers` gives the upstream's server names now. Absent: the table is the store.
 */
export type StickyStoreFactory = (table: StickyTable, servers?: () => readonly string[]) => StickyStore;
