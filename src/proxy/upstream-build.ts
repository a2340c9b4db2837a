/**
 * @module proxy/upstream-build
 * What an UpstreamRuntime (upstream.ts) is built from on a start or a reload: its servers,
 * taken over from the runtime it replaces as the reload plan says, and one undici Pool per
 * server with keep-alive. Pools are created by an injected factory (undici's own `factory`
 * pattern) so tests and embedders can wrap them. An https:// server's pool connects with
 * the upstream's `tls` settings (core/upstream-tls).
 */
import { Pool, buildConnector } from 'undici';
import type { UpstreamConfig } from '../core/config.js';
import { ErrorCodes } from '../core/errors.js';
import { upstreamFailure } from '../core/upstream-failure.js';
import { tlsClientOptions, type TlsClientOptions } from '../core/upstream-tls.js';
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

/**
 * undici's connector with `tls`, whatever servername a request carries: undici takes one
 * from the request's Host header (the client's) unless the request names one, and
 * reconnects when it changes, so the exchange names a constant per server (its origin,
 * see exchange.ts) and the SNI sent is this server's own.
 *
 * In TLS 1.3 a server refuses our client certificate (or its absence) only after our side
 * of the handshake is done, with an alert that arrives as the request is in flight. Node
 * emits the alert's error and then 'end', and undici reports the 'end' ("other side
 * closed"), losing the TLS code; destroying the socket at the error keeps it.
 */
function tlsConnector(tls: TlsClientOptions, timeout: number): buildConnector.connector {
  const connect = buildConnector({ ...tls, timeout });
  return (opts, callback) =>
    connect({ ...opts, servername: tls.servername }, (err, socket) => {
      socket?.prependListener('error', (e: unknown) => {
        if (upstreamFailure(e).code === ErrorCodes.UPSTREAM_TLS) socket.destroy();
      });
      (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
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
        connect: s.origin.startsWith('https:') ? tlsConnector(tlsClientOptions(config.tls, s.origin), t.connect) : { timeout: t.connect },
        headersTimeout: t.response,
        bodyTimeout: t.idle,
      }),
    );
  }
}
