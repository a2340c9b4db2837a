/**
 * @module runtime/metrics
 * Connects the metrics (admin/metrics) to the running process: what they read at scrape
 * time, and the applier that hands them the servers of each new proxy state.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { Clock } from '../core/clock.js';
import { createMetrics, type BulwarkMetrics, type MetricsSource, type UpstreamView } from '../admin/metrics/index.js';
import type { Proxy } from '../proxy/proxy.js';
import type { ProxyState } from '../proxy/state.js';
import type { UpstreamRuntime } from '../proxy/upstream.js';
import type { FaultTolerance } from './fault-tolerance.js';
import type { Applier, ApplyContext } from './apply.js';
import type { ConfigStatus } from './reload.js';
import type { GroupReadings } from './status-view.js';
import type { ServedCertificate } from './cert-expiry.js';

export interface MetricsHost {
  readonly proxy: Proxy;
  readonly status: ConfigStatus;
  /** The proxy listeners' servers (retiring ones included or not: whatever is open now). */
  readonly frontServers: readonly http.Server[];
  readonly faultTolerance: ReadonlyMap<string, FaultTolerance>;
  readonly alerts: { counters(): { sent: number; failed: number; dropped: number } };
  readonly backup: { runs(): ReturnType<MetricsSource['backup']> };
  /** A worker group's primary: the workers' own flags and open connections. */
  readonly group?: GroupReadings | undefined;
  /** The TLS listeners' certificates (runtime/cert-expiry). */
  readonly certificates?: { readonly served: readonly ServedCertificate[] };
}

/** One running upstream with the parts it configures, as the metrics read it. */
function upstreamView(u: UpstreamRuntime, ft: FaultTolerance | undefined, group: GroupReadings | undefined): UpstreamView {
  const breaker = ft?.breaker;
  const outlier = ft?.outlier;
  // A worker group's primary reads its workers' sums (runtime/group/counters) where it has them.
  return {
    name: u.name,
    servers: u.servers.all,
    circuit: breaker === undefined ? undefined : (s) => (group === undefined ? breaker.state(s) : group.circuitState(s)),
    circuitTrips: breaker === undefined ? undefined : (s) => (group === undefined ? breaker.trips(s) : group.circuitTrips(s)),
    outlier: outlier === undefined ? undefined : (group?.outlier(u.name) ?? outlier.stats()),
    serverEjections: outlier === undefined ? undefined : (s) => (group === undefined ? outlier.ejections(s) : group.serverEjections(s)),
    queue: u.pending === undefined || group === undefined ? u.pending : { length: group.queueLength(u.name), overflowed: u.pending.overflowed, timedOut: u.pending.timedOut },
    retryBudgetExhausted: u.retry?.budgetExhausted,
    retries: u.retry?.retries,
    sticky: u.affinity === undefined ? undefined : { entries: u.affinity.table.size, repins: u.affinity.table.repinReasons },
    ttfb: u.ttfb,
    rateLimited: u.rateLimited,
  };
}

export function appMetrics(host: MetricsHost, clock: Clock, processMetrics: boolean): BulwarkMetrics {
  const source: MetricsSource = {
    version: bulwarkVersion(),
    clock,
    configVersion: () => host.status.version,
    loadedAt: () => host.status.loadedAt,
    upstreams: () => [...host.proxy.state.upstreams.values()].map((u) => upstreamView(u, host.faultTolerance.get(u.name), host.group)),
    answered: () => host.proxy.answered,
    durations: () => host.proxy.durations,
    openConnections: async () => {
      const counts = host.frontServers.map((s) => new Promise<number>((r) => s.getConnections((err, n) => r(err ? 0 : n))));
      return (await Promise.all(counts)).reduce((a, b) => a + b, 0) + (host.group?.connections() ?? 0);
    },
    workerFlag: host.group === undefined ? undefined : (s, flag) => (host.group!.workerFlags(s)[flag] ?? 0) > 0,
    alerts: () => host.alerts.counters(),
    perServer: () => host.status.config.metrics.per_server,
    backup: () => host.backup.runs(),
    certificates: () => host.certificates?.served ?? [],
  };
  return createMetrics(source, processMetrics);
}

/** The metrics follow the servers and health checkers of `state` (those already followed stay so). */
export function followRunning(state: ProxyState, ctx: Pick<ApplyContext, 'metrics' | 'faultTolerance'>): void {
  for (const u of state.upstreams.values()) {
    ctx.metrics.watch(u.servers.all);
    const checker = ctx.faultTolerance.get(u.name)?.health;
    if (checker !== undefined) ctx.metrics.followChecks(u.name, checker);
  }
}

/** After the fault-tolerance applier, which may have built new health checkers for the new state. */
export const metricsApplier: Applier = {
  name: 'metrics',
  attach: (_plan, ctx, { next }) => followRunning(next, ctx),
};

/** bulwark's version, from its package.json (two levels up from src/runtime and dist/runtime). */
function bulwarkVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
