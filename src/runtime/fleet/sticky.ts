/**
 * @module runtime/fleet/sticky
 * Sticky tables shared by a fleet through Redis (issue 17). Each pin is the Redis key
 * `PREFIX sticky:UPSTREAM:KEY` holding the server's name, with the table's ttl. The node's
 * own StickyTable stays the read-through cache, and the request path never waits on Redis
 * except once, on a local miss for a request that carries a key: lookup() reads the key,
 * bounded by `fleet.timeout` (see proxy/exchange run()). Everything else is off the path:
 * - a pin made here is marked dirty and written (SET PX, the pin's remaining ttl) on the
 *   next turn of the event loop, all of that turn's pins pipelined together;
 * - keys read here are touched (PEXPIRE ttl) in one batch every TOUCH_EVERY_MS (or ttl/4),
 *   so a session used only through this node does not expire elsewhere; a touch that finds
 *   the key gone (Redis restarted empty) writes it back, unless another node wrote it first;
 * - while Redis is down, dirty keys wait (at most MAX_DIRTY, the oldest dropped first);
 *   when it answers again every live local pin is written back: dirty ones over what Redis
 *   holds (they are newer), the others only where Redis has none (SET NX).
 * A value read from Redis is untrusted: one that is not a plausible server name is logged
 * and skipped. One naming a server this node does not have is not taken: the request is
 * balanced and re-pinned, and counted (reason server_not_in_view).
 */
import type pino from 'pino';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { FleetConfig } from '../../core/config-fleet.js';
import { CookieSigner, MIN_COOKIE_KEY_LENGTH, type StickyStore, type StickyStoreFactory, type StickyTable } from '../../balancer/sticky/index.js';
import { StickySync, type FleetStickyDeps, type SharedTable, type StickyLink } from './sticky-sync.js';

export type { FleetStickyDeps, SharedTable, StickyLink };

/** A plausible server name: printable, no control characters, not empty, bounded. */
const SERVER_RE = /^[^\x00-\x1f\x7f]{1,256}$/;


export class FleetSticky {
  readonly #sync: StickySync;
  readonly #tables = new Map<string, SharedTable>();
  /** Lookups in flight, by Redis key: concurrent requests of one session share one GET. */
  readonly #inflight = new Map<string, Promise<void>>();
  #link: StickyLink | undefined;
  #lastBad = -Infinity;

  constructor(private readonly config: FleetConfig, private readonly deps: FleetStickyDeps) {
    this.#sync = new StickySync(config.prefix, deps, this.#tables);
  }

  /** Starts writing through `link` (the Fleet's, or a worker's own); pins made before wait as dirty. */
  attach(link: StickyLink): void {
    this.#link = link;
    this.#sync.start(link);
  }

  close(): void {
    this.#sync.stop();
  }

  /** Wraps each upstream's store (`inner`: a worker's group store; absent, the table itself). */
  factory(inner?: StickyStoreFactory): StickyStoreFactory {
    return (table, names) => {
      const base = inner?.(table, names) ?? table;
      const shared = this.#share(table, names, base);
      const signer = this.deps.cookieKey !== undefined && table.mode === 'cookie' ? new CookieSigner(this.deps.cookieKey, table.upstream, names ?? (() => [])) : undefined;
      const sync = this.#sync;
      const store: StickyStore = {
        signer,
        get(key) {
          const server = base.get(key);
          if (server !== undefined) sync.touched(shared, key);
          return server;
        },
        set(key, server, reason) {
          base.set(key, server, reason);
          sync.pinned(shared, key);
        },
        lookup: (key) => this.#lookup(shared, key),
      };
      return store;
    };
  }

  /** The entry for `table`, kept (with what it owes Redis) when a reload keeps the table. */
  #share(table: StickyTable, names: SharedTable['names'], base: StickyStore): SharedTable {
    const old = this.#tables.get(table.upstream);
    const shared = old?.table === table ? { ...old, names, base } : { upstream: table.upstream, table, names, base, dirty: new Set<string>(), read: new Set<string>() };
    this.#tables.set(table.upstream, shared);
    return shared;
  }

  /** Reads `key` from Redis into the table, waiting at most fleet.timeout; undefined while Redis is away. */
  #lookup(shared: SharedTable, key: string): Promise<void> | undefined {
    const link = this.#link;
    if (link === undefined || !link.ready) return undefined;
    const rk = this.#sync.redisKey(shared.upstream, key);
    let read = this.#inflight.get(rk);
    if (read === undefined) {
      read = link.client.get(rk).then(
        (value) => this.#take(shared, key, value),
        () => undefined, // a failed read is a miss: the link reports outages
      ).finally(() => this.#inflight.delete(rk));
      this.#inflight.set(rk, read);
    }
    const { clock } = this.deps;
    return new Promise<void>((resolve) => {
      const timer: TimerHandle = clock.setTimeout(resolve, this.config.timeout);
      void read.then(() => {
        clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Takes a pin read from Redis into the local table. The table had none when the read began:
   * one there now was made by a request that could not wait (fleet.timeout passed), and that
   * pin has gone to Redis after this read, over the fleet's. The fleet's wins, here and, written
   * back, in Redis: the session returns to its server after one stray request.
   */
  #take(shared: SharedTable, key: string, value: unknown): void {
    if (value === null || value === undefined) return;
    if (typeof value !== 'string' || !SERVER_RE.test(value)) return this.#bad(shared, key, value);
    const local = shared.table.peek(key);
    if (local === value) return;
    if (shared.names !== undefined && !shared.names().includes(value)) return shared.table.countRepin('server_not_in_view');
    // Through the inner store (a worker's passes it to its group), not back to Redis...
    shared.base.set(key, value);
    // ...unless this node's own pin overwrote it there.
    if (local !== undefined) this.#sync.pinned(shared, key);
  }

  /** Logs a malformed value (at most one line every 10 s: Redis is shared, it could be full of them). */
  #bad(shared: SharedTable, key: string, value: unknown): void {
    const now = this.deps.clock.now();
    if (now - this.#lastBad < 10_000) return;
    this.#lastBad = now;
    const shown = JSON.stringify(value)?.slice(0, 80);
    this.deps.logger.warn({ event: 'fleet_sticky_invalid', upstream: shared.upstream, key: key.slice(0, 80), value: shown }, `fleet: skipped a malformed sticky pin in Redis for upstream ${shared.upstream}: ${shown}`);
  }
}

/**
 * Why `fleet` cannot start in `env`: its cookie_key_env names a variable that is unset or
 * shorter than MIN_COOKIE_KEY_LENGTH (every node's cookies would be refused by the others).
 */
export function cookieKeyProblem(fleet: FleetConfig | undefined, file: string, env: NodeJS.ProcessEnv): string | undefined {
  const name = fleet?.cookie_key_env;
  if (name === undefined) return undefined;
  const value = env[name];
  if (value !== undefined && Buffer.byteLength(value) >= MIN_COOKIE_KEY_LENGTH) return undefined;
  const what = value ? `is only ${Buffer.byteLength(value)} bytes long` : 'is not set or empty';
  return `${file}: fleet.cookie_key_env: names ${name}, which ${what}: set it to the same secret of at least ${MIN_COOKIE_KEY_LENGTH} characters on every node, or remove fleet.cookie_key_env`;
}

/** The fleet's sticky store for this process, its cookie key read from `env` (checked at start by cookieKeyProblem). */
export function fleetSticky(fleet: FleetConfig, deps: Omit<FleetStickyDeps, 'cookieKey'> & { readonly env: NodeJS.ProcessEnv }): FleetSticky {
  const key = fleet.cookie_key_env === undefined ? undefined : deps.env[fleet.cookie_key_env];
  return new FleetSticky(fleet, { clock: deps.clock, logger: deps.logger, cookieKey: key ? Buffer.from(key) : undefined });
}
