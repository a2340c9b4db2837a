/**
 * @module proxy/upstream
 * The runtime side of one configured upstream: its servers (with their flags), the
 * available-server view, its scheduler, and one undici Pool per server with keep-alive.
 * Pools are created by an injected factory (undici's own `factory` pattern) so tests and
 * later issues can wrap them.
 */
import { Pool } from 'undici';
import type { Random } from '../core/clock.js';
import type { UpstreamConfig } from '../core/config.js';
import { Server } from '../core/server.js';
import { createScheduler } from '../balancer/index.js';
import { ServerSet } from '../balancer/server-set.js';
import type { PickContext, Scheduler } from '../balancer/scheduler.js';

export type PoolFactory = (origin: string, opts: Pool.Options) => Pool;

export const defaultPoolFactory: PoolFactory = (origin, opts) => new Pool(origin, opts);

export interface UpstreamDeps {
  readonly random: Random;
  readonly poolFactory?: PoolFactory;
}

export class UpstreamRuntime {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly servers: ServerSet;
  readonly scheduler: Scheduler;
  readonly #pools = new Map<Server, Pool>();

  constructor(config: UpstreamConfig, deps: UpstreamDeps) {
    this.name = config.name;
    this.config = config;
    const servers = config.servers.map(
      (s) => new Server({ upstream: config.name, name: s.name, origin: s.url, weight: s.weight }),
    );
    this.servers = new ServerSet(servers);
    this.scheduler = createScheduler(config.scheduler, { random: deps.random, hashKey: config.hash_key });
    const factory = deps.poolFactory ?? defaultPoolFactory;
    const t = config.timeouts;
    for (const s of servers) {
      this.#pools.set(
        s,
        factory(s.origin, {
          connections: config.connections,
          keepAliveTimeout: config.keep_alive,
          connect: { timeout: t.connect },
          headersTimeout: t.response,
          bodyTimeout: t.idle,
        }),
      );
    }
  }

  /** Picks a server for one request; undefined when none is available. */
  pick(ctx: PickContext): Server | undefined {
    return this.scheduler.pick(this.servers.available, ctx);
  }

  /** The pool for a server of this upstream. The caller guarantees `server` belongs here. */
  pool(server: Server): Pool {
    return this.#pools.get(server)!;
  }

  /** Total in-flight requests across this upstream's servers. */
  get activeRequests(): number {
    let n = 0;
    for (const s of this.servers.all) n += s.activeRequests;
    return n;
  }

  /** Closes every pool gracefully: queued and in-flight requests complete first. */
  async close(): Promise<void> {
    this.servers.close();
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }

  /** Destroys every pool at once, failing in-flight requests. */
  async destroy(): Promise<void> {
    this.servers.close();
    await Promise.all([...this.#pools.values()].map((p) => p.destroy()));
  }
}
