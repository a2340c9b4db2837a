/**
 * @module runtime/fleet/sticky-sync
 * The writing side of the fleet's sticky tables (see runtime/fleet/sticky): dirty pins out
 * on the next event-loop turn, batched touches every TOUCH_EVERY_MS (ttl/4 if less), and the
 * resync when Redis answers again (first connection included), each as pipelines of at most
 * RESYNC_BATCH commands. Nothing here is awaited by a request; a failed write leaves its key
 * dirty, to go out with the next tick or the resync.
 */
import type pino from 'pino';
import type { Clock } from '../../core/clock.js';
import type { StickyStore, StickyTable } from '../../balancer/sticky/index.js';
import type { RedisClient } from './link.js';

/** What the store needs of the fleet's Redis link (runtime/fleet/link RedisLink). */
export interface StickyLink {
  readonly ready: boolean;
  readonly client: RedisClient;
}

/** One upstream's shared table: the keys owed to Redis. */
export interface SharedTable {
  readonly upstream: string;
  readonly table: StickyTable;
  /** The store the fleet's wraps (the table itself, or a worker's group store): pins read from Redis go in through it. */
  readonly base: StickyStore;
  /** The upstream's server names now (undefined: not known, every name is taken). */
  readonly names: (() => readonly string[]) | undefined;
  /** Pins made here and not yet written. */
  readonly dirty: Set<string>;
  /** Keys read here since the last touch. */
  readonly read: Set<string>;
}

export interface FleetStickyDeps {
  readonly clock: Clock;
  readonly logger: pino.Logger;
  /** The key signing cookie-mode cookies (fleet.cookie_key_env's value); absent: cookie pins are shared like the rest. */
  readonly cookieKey?: Buffer;
}

/**
 * The longest a read key waits before its touch goes out (a quarter of the ttl if less): a
 * session used only through this node may expire in Redis up to this much before it does here.
 */
export const TOUCH_EVERY_MS = 10_000;
/** How often dirty keys are retried and the link checked (a resync once it answers again). */
const TICK_MS = 1_000;
const MIN_TOUCH_EVERY_MS = 10;
/** Dirty keys kept per table while Redis is away; past it the oldest are dropped (and logged once). */
export const MAX_DIRTY = 100_000;
/** Commands in one pipeline (the link caps its queue at 10,000). */
const RESYNC_BATCH = 1_000;

export class StickySync {
  #link: StickyLink | undefined;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** The link was ready at the last tick: when it turns ready again, resync. */
  #connected = false;
  #lastTouch = 0;
  #dropping = false;
  #stopped = false;

  constructor(
    private readonly prefix: string,
    private readonly deps: FleetStickyDeps,
    private readonly tables: ReadonlyMap<string, SharedTable>,
  ) {}

  redisKey(upstream: string, key: string): string {
    return `${this.prefix}sticky:${upstream}:${key}`;
  }

  start(link: StickyLink): void {
    this.#link = link;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
  }

  /** A pin made here: owed to Redis. */
  pinned(shared: SharedTable, key: string): void {
    this.#owe(shared, key);
    if (this.#immediate === undefined && this.#connected && this.#link?.ready) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        void this.#writeDirty(this.#link!.client);
      });
    }
  }

  /** A pin read here: its ttl is restarted in Redis with the next touch. */
  touched(shared: SharedTable, key: string): void {
    if (shared.read.size < MAX_DIRTY) shared.read.add(key);
  }

  /** Marks `key` dirty (a failed write too: it waits for the next tick, not the next turn). */
  #owe(shared: SharedTable, key: string): void {
    const { dirty } = shared;
    dirty.delete(key); // re-added at the young end
    if (dirty.size >= MAX_DIRTY) this.#drop(shared);
    dirty.add(key);
  }

  #drop(shared: SharedTable): void {
    shared.dirty.delete(shared.dirty.values().next().value!);
    if (this.#dropping) return;
    this.#dropping = true;
    this.deps.logger.warn({ event: 'fleet_sticky_backlog_full', upstream: shared.upstream, max: MAX_DIRTY }, `fleet: ${MAX_DIRTY} sticky pins of upstream ${shared.upstream} wait for Redis; the oldest are dropped from the backlog`);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick().finally(() => this.#schedule()), Math.min(TICK_MS, this.#touchEvery()));
    this.#timer.unref();
  }

  /** TOUCH_EVERY_MS, or a quarter of the shortest ttl if less. */
  #touchEvery(): number {
    let every = TOUCH_EVERY_MS;
    for (const s of this.tables.values()) every = Math.min(every, s.table.ttl / 4);
    return Math.max(MIN_TOUCH_EVERY_MS, every);
  }

  async #tick(): Promise<void> {
    const link = this.#link!;
    if (!link.ready) return void (this.#connected = false);
    const now = this.deps.clock.now();
    if (!this.#connected) {
      this.#connected = true;
      this.#dropping = false;
      this.#lastTouch = now;
      return this.#resync(link.client);
    }
    const touch = now - this.#lastTouch >= this.#touchEvery();
    if (touch) this.#lastTouch = now;
    await Promise.all([this.#writeDirty(link.client), touch ? this.#touch(link.client) : undefined]);
  }

  /**
   * Writes each key's local pin with its remaining ttl (`nx`: only where Redis has none),
   * RESYNC_BATCH to a pipeline; a key that expired here is skipped. Resolves to the keys
   * whose batch failed.
   */
  async #write(client: RedisClient, keys: ReadonlyArray<readonly [SharedTable, string]>, nx: (s: SharedTable, key: string) => boolean): Promise<Array<readonly [SharedTable, string]>> {
    const failed: Array<readonly [SharedTable, string]> = [];
    for (let i = 0; i < keys.length; i += RESYNC_BATCH) {
      const batch = keys.slice(i, i + RESYNC_BATCH);
      const multi = client.multi();
      const now = this.deps.clock.now();
      let queued = 0;
      for (const [s, key] of batch) {
        const server = s.table.peek(key);
        const expires = s.table.expiresAt(key, now);
        if (server === undefined || expires === undefined) continue;
        const expiration = { type: 'PX' as const, value: Math.max(1, expires - now) };
        multi.set(this.redisKey(s.upstream, key), server, nx(s, key) ? { expiration, condition: 'NX' } : { expiration });
        queued++;
      }
      if (queued > 0) await multi.execAsPipeline().catch(() => failed.push(...batch));
    }
    return failed;
  }

  async #writeDirty(client: RedisClient): Promise<void> {
    const keys: Array<readonly [SharedTable, string]> = [];
    for (const s of this.tables.values()) {
      for (const key of s.dirty) keys.push([s, key]);
      s.dirty.clear();
    }
    for (const [s, key] of await this.#write(client, keys, () => false)) this.#owe(s, key);
  }

  /** Restarts the ttl in Redis of each key read here; one Redis lost (restarted empty) is written back, unless another node did. */
  async #touch(client: RedisClient): Promise<void> {
    const keys: Array<readonly [SharedTable, string]> = [];
    for (const s of this.tables.values()) {
      for (const key of s.read) keys.push([s, key]);
      s.read.clear();
    }
    for (let i = 0; i < keys.length; i += RESYNC_BATCH) {
      const batch = keys.slice(i, i + RESYNC_BATCH);
      const multi = client.multi();
      for (const [s, key] of batch) multi.pExpire(this.redisKey(s.upstream, key), s.table.ttl);
      const replies = await multi.execAsPipeline().catch(() => undefined);
      if (replies !== undefined) await this.#write(client, batch.filter((_k, j) => (replies as unknown[])[j] === 0), () => true);
    }
  }

  /** Redis answers again (or for the first time): every live local pin out, dirty ones over Redis's, the others NX. */
  async #resync(client: RedisClient): Promise<void> {
    let pins = 0;
    for (const s of this.tables.values()) {
      const dirty = new Set(s.dirty);
      s.dirty.clear();
      // Read first: the table changes while the batches are awaited.
      const keys = [...s.table.entries()].map((e) => [s, e.key] as const);
      pins += keys.length;
      for (const [, key] of await this.#write(client, keys, (_s, key) => !dirty.has(key))) if (dirty.has(key)) this.#owe(s, key);
    }
    this.deps.logger.info({ event: 'fleet_sticky_resynced', pins }, `fleet: ${pins} sticky pins written back to Redis`);
  }
}
