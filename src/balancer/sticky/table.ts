/**
 * @module balancer/sticky/table
 * One upstream's stick table (HAProxy `stick-table`): session key → the name of the server
 * the session is pinned to. Bounded by `max_entries` (the least recently used pin goes
 * first) and by `ttl`, which restarts on every get(), as HAProxy refreshes an entry's
 * expiry on each access: an active session never loses its server, an idle one is
 * forgotten `ttl` after its last request. Expired pins are not swept by timers
 * (`ttlAutopurge: false`): get() drops one it meets, LRU eviction reclaims the rest, and
 * purgeStale() can be called on a slow timer. No timers also means no per-entry cost.
 *
 * Pins hold server *names*, not Server objects, so a table survives reloads and restores.
 * The caller must: check that a pinned server still exists and is available, and set() the
 * key to the server it picks instead (counted in `repins`); pass keys it bounded (stickyKey
 * does: at most MAX_KEY_LENGTH characters); give `now` in epoch ms and never 0 (lru-cache
 * reads it through its `perf` option, so tests control time with it; a 0 start means "no
 * ttl" to lru-cache). Default Date.now: expiries then stay valid across restarts, and a
 * wall-clock step only shifts every pin's expiry by the step.
 * Memory: lru-cache preallocates about 33 bytes per slot of `max_entries` at construction.
 */
import { LRUCache } from 'lru-cache';
import type { StickyConfig } from '../../core/config.js';
import { entriesFor } from './entry.js';
import type { ImportCounts, ImportMode, StickyEntry } from './entry.js';
import { KeyWalk } from './walk.js';

/** The value stored: one frozen object per server name, shared by every key pinned to it. */
interface Pin {
  readonly server: string;
}

/**
 * Why a session left its server (the proxy says which, see proxy/affinity): the server was
 * removed from the config, it carries a flag (down, ejected, circuit open, draining,
 * disabled), or it was available but passed over (at max_concurrent, or its attempt failed
 * and a retry on another server answered), or (in a fleet) a pin read from another node named
 * a server this node does not have.
 */
export const REPIN_REASONS = ['server_removed', 'server_unavailable', 'server_busy_or_failed', 'server_not_in_view'] as const;
export type RepinReason = (typeof REPIN_REASONS)[number];

/** Distinct pin objects kept for reuse; beyond this (only a strange import gets there) pins are not shared. */
const MAX_SHARED_PINS = 4096;

export class StickyTable {
  readonly upstream: string;
  /** How sessions are keyed (config.mode): a store may treat cookie mode apart (see signed.ts). */
  readonly mode: StickyConfig['mode'];
  /** set() calls that moved a live pin to another server (its server was gone or unavailable). */
  repins = 0;
  /** The same re-pins by the reason the caller gave (for metrics); survives reloads with the table. */
  readonly repinReasons = new Map<RepinReason | 'other', number>();
  readonly #cache: LRUCache<string, Pin>;
  readonly #pins = new Map<string, Pin>();
  readonly #now: () => number;
  readonly #ttl: number;
  /** While set, the time lru-cache reads instead of the clock (see #remaining). */
  #frozen: number | undefined;
  /** Open walks, told when their cursor's entry is used, moved or removed. Usually empty. */
  readonly #walks = new Set<KeyWalk>();

  constructor(config: StickyConfig, options: { readonly upstream: string; readonly now?: () => number }) {
    this.upstream = options.upstream;
    this.mode = config.mode;
    this.#now = options.now ?? Date.now;
    this.#ttl = config.ttl;
    this.#cache = new LRUCache<string, Pin>({
      max: config.max_entries,
      ttl: config.ttl,
      ttlAutopurge: false,
      updateAgeOnGet: true,
      // 0: read the clock on every check instead of caching it behind a 1 ms timer, which
      // would also hide a test clock's jumps. Date.now() costs less than arming that timer.
      ttlResolution: 0,
      perf: { now: () => this.#frozen ?? this.#now() },
      // Evictions, expiries, deletes and overwrites: an open walk may stand on that entry.
      dispose: (_pin, key) => {
        if (this.#walks.size !== 0) this.#disturb(key);
      },
    });
  }

  /** The server `key` is pinned to, restarting its ttl; undefined when none (or expired). */
  get(key: string): string | undefined {
    if (this.#walks.size !== 0) this.#disturb(key); // get() moves the entry to the recent end
    return this.#cache.get(key)?.server;
  }

  /**
   * Pins `key` to `server` for a fresh ttl, evicting the least recently used pin when full.
   * @param reason why a live pin moves, counted in repinReasons ("other" when not given).
   */
  set(key: string, server: string, reason: RepinReason | 'other' = 'other'): void {
    if (this.#walks.size !== 0) this.#disturb(key);
    const old = this.#cache.peek(key);
    if (old !== undefined && old.server !== server) this.countRepin(reason);
    this.#cache.set(key, this.#pin(server));
  }

  /** Counts a session moved off its server where set() cannot see the move (a fleet's pin this node never held). */
  countRepin(reason: RepinReason | 'other'): void {
    this.repins++;
    this.repinReasons.set(reason, (this.repinReasons.get(reason) ?? 0) + 1);
  }

  delete(key: string): boolean {
    return this.#cache.delete(key);
  }

  /** How long (ms) an unused pin is kept: each get() restarts it. */
  get ttl(): number {
    return this.#ttl;
  }

  /** Pins held, including expired ones not reclaimed yet (see purgeStale). */
  get size(): number {
    return this.#cache.size;
  }

  clear(): void {
    this.#cache.clear();
  }

  /** Drops every expired pin; O(size). Returns whether any was dropped. */
  purgeStale(): boolean {
    return this.#cache.purgeStale();
  }

  /** The live pins, least recently used first, so importing them in order keeps the LRU order. */
  *entries(): Generator<StickyEntry> {
    const now = this.#now();
    // rentries() yields [key, value] pairs; its declared type is only (K | V)[].
    for (const [key, pin] of this.#cache.rentries() as Generator<[string, Pin]>) {
      yield { key, upstream: this.upstream, server: pin.server, expires_at: Math.round(now + this.#remaining(key, now)) };
    }
  }

  /**
   * Adds entries (in order, so the last is the most recently used), skipping expired and
   * malformed ones and those of other upstreams; `replace` empties the table first, once
   * the input has been read. An entry expiring later than a fresh pin would is cut to `ttl`
   * from now.
   */
  import(entries: Iterable<StickyEntry>, mode: ImportMode): ImportCounts {
    const now = this.#now();
    const counts: ImportCounts = { imported: 0, expired: 0, invalid: 0, kept: 0, otherUpstream: 0 };
    const live = entriesFor(entries, this.upstream, now, counts);
    if (mode === 'replace') this.#cache.clear();
    for (const e of live) {
      // getRemainingTTL: 0 for an absent key, <= 0 for an expired one.
      const remaining = mode === 'merge' ? this.#remaining(e.key, now) : 0;
      if (remaining > 0 && now + remaining >= e.expires_at) counts.kept++;
      else {
        // Back-date the start so the pin expires at expires_at, yet each get() still grants a full ttl.
        if (this.#walks.size !== 0) this.#disturb(e.key);
        this.#cache.set(e.key, this.#pin(e.server), { start: Math.min(now, e.expires_at - this.#ttl) });
        counts.imported++;
      }
    }
    return counts;
  }

  /**
   * Starts a resumable walk over the live keys, least recently used first (see KeyWalk):
   * for a sliced export that pauses between steps while requests use the table. Read each
   * key's server and expiry with `peek` and `expiresAt` as it comes. Close it when done.
   */
  walk(): KeyWalk {
    const w = new KeyWalk(() => this.#cache.rkeys() as Generator<string>, (x) => this.#walks.delete(x));
    this.#walks.add(w);
    return w;
  }

  /** Walks not yet done or closed (an abandoned export must not leave one behind). */
  get openWalks(): number {
    return this.#walks.size;
  }

  /** The server `key` is pinned to, without refreshing its ttl or reordering it. */
  peek(key: string): string | undefined {
    return this.#cache.peek(key)?.server;
  }

  /** The table's clock (epoch ms). */
  now(): number {
    return this.#now();
  }

  /**
   * Epoch ms when `key`'s pin expires unless used before; undefined once it is gone. Does
   * not refresh it. A caller reading many keys passes one `now()` for all of them.
   */
  expiresAt(key: string, now = this.#now()): number | undefined {
    const remaining = this.#remaining(key, now);
    return remaining > 0 ? Math.round(now + remaining) : undefined;
  }

  /**
   * `key`'s remaining ttl as of `now` (0 when absent, <= 0 when expired). lru-cache reads
   * the clock itself: it is handed this `now`, so that now + remaining is the pin's expiry
   * exactly, not early by the time between two reads (an export then a restore must give
   * back the expiry it took).
   */
  #remaining(key: string, now: number): number {
    this.#frozen = now;
    const remaining = this.#cache.getRemainingTTL(key);
    this.#frozen = undefined;
    return remaining;
  }

  /** Tells the open walks standing on `key` that its entry is about to move or go. */
  #disturb(key: string): void {
    for (const w of this.#walks) if (w.cursor === key) w.disturbed = true;
  }

  #pin(server: string): Pin {
    let pin = this.#pins.get(server);
    if (pin === undefined) {
      pin = Object.freeze({ server });
      if (this.#pins.size < MAX_SHARED_PINS) this.#pins.set(server, pin);
    }
    return pin;
  }
}
