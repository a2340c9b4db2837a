/**
 * @module proxy/upstream-build
 * What an UpstreamRuntime (upstream.ts) is built from on a start or a reload: its servers,
 * taken over from the runtime it replaces as the reload plan says, and one undici Pool per
 * server with keep-alive. Pools are created by an injected factory (undici's own `factory`
 * pattern) so tests and embedders can wrap them.
 */
import { Pool } from 'undici';
import type { UpstreamConfig } from '../core/config.js';
import type { UpstreamPlan } from '../core/reload-plan.js';
import { Server } from '../core/server.js';
import type { ServerSet } from '../balancer/server-set.js';

export type PoolFactory = (origin: string, opts: Pool.Options) => Pool;

export const defaultPoolFactory: PoolFactory = (origin, opts) => new Pool(origin, opts);

/** The part of the runtime being replaced that its successor takes over. */
export interface PreviousRuntime {
  readonly servers: ServerSet;
  pool(server: Server): Pool;
}

/**
 * The servers of `config`: a kept or updated server keeps its Server object (flags,
 * counters) from `previous`, an updated one with its new weight and backup flag; with
 * `plan.keep.pools`, a kept server's pool goes into `pools` too. New and replaced servers
 * are new objects.
 */
export function takeOverServers(config: UpstreamConfig, previous: PreviousRuntime | undefined, plan: UpstreamPlan | undefined, pools: Map<Server, Pool>): Server[] {
  return config.servers.map((s) => {
    const old = previous?.servers.find(s.name);
    const action = plan?.servers.get(s.name) ?? 'add';
    if (old === undefined || action === 'add' || action === 'replace') {
      return new Server({ upstream: config.name, name: s.name, origin: s.url, weight: s.weight, backup: s.backup });
    }
    if (action === 'update') {
      old.configuredWeight = s.weight;
      old.weight = s.weight;
      old.backup = s.backup;
    }
    if (plan!.keep.pools) pools.set(old, previous!.pool(old));
    return old;
  });
}

/** Adds a new pool, made by `factory` with `config`'s connection settings, for each of `servers` not in `pools` yet. */
export function addPools(config: UpstreamConfig, servers: readonly Server[], factory: PoolFactory, pools: Map<Server, Pool>): void {
  const t = config.timeouts;
  for (const s of servers) {
    if (pools.has(s)) continue;
    pools.set(
      s,
      factory(s.origin, {
        connections: config.connections,
        keepAliveTimeout: config.keep_alive,
        // A server's `Keep-Alive: timeout=N` hint replaces keepAliveTimeout in undici; the
        // max caps it, so a longer hint can't keep idle connections past keep_alive.
        keepAliveMaxTimeout: config.keep_alive,
        connect: { timeout: t.connect },
        headersTimeout: t.response,
        bodyTimeout: t.idle,
      }),
    );
  }
}
