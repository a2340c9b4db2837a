/**
 * @module runtime/status-view
 * The read-only view the admin API's /status is built from: config version and reload
 * state, upstreams with their fault-tolerance state, and runtime overrides.
 */
import type { RuntimeView } from '../admin/status.js';
import type { Server } from '../core/server.js';
import type { CircuitState } from '../resilience/index.js';
import type { UpstreamRuntime } from '../proxy/upstream.js';
import type { FaultTolerance } from './fault-tolerance.js';
import type { Override } from './overrides.js';
import type { ConfigStatus } from './reload.js';
import type { ServedCertificate } from './cert-expiry.js';

/** What a worker group's primary knows of its workers beyond the summed counters (runtime/group/counters). */
export interface GroupReadings {
  /** How many workers have each of their own flags (`ejected`, `circuit_open`) set on `s`. */
  workerFlags(s: Server): Readonly<Record<string, number>>;
  /** Client connections open on the workers' proxy listeners. */
  connections(): number;
  /** An upstream's outlier detections and ejections, summed over the workers; undefined without outlier_detection. */
  outlier(upstream: string): OutlierView | undefined;
  /** One server's, likewise. */
  serverEjections(s: Server): Omit<OutlierView, 'ejected_now'> | undefined;
  /** One server's breaker trips, summed over the workers. */
  circuitTrips(s: Server): number;
  /** One server's circuit over the workers: the worst of theirs (open, half_open, closed). */
  circuitState(s: Server): CircuitState;
  /** Requests waiting in an upstream's pending queues, summed over the workers. */
  queueLength(upstream: string): number;
}

/** Outlier counts by kind, as the detector's stats() gives them. */
export interface OutlierView {
  readonly detected: Readonly<Record<string, number>>;
  readonly enforced: Readonly<Record<string, number>>;
  readonly ejected_now: number;
}

/** What /status reads from the running process (the App is one). */
export interface StatusSource {
  readonly configFile: string;
  readonly status: Readonly<ConfigStatus>;
  readonly backup: { status(): Record<string, unknown> | undefined };
  readonly alerts: { status(): Record<string, unknown> };
  /** The running upstreams (read on each call: a reload swaps them). */
  readonly proxy: { readonly state: { readonly upstreams: ReadonlyMap<string, UpstreamRuntime> } };
  readonly faultTolerance: ReadonlyMap<string, FaultTolerance>;
  readonly overrides: { get(server: Server): Override | undefined };
  /** More top-level sections (a worker group's `workers`). */
  readonly extraStatus?: (() => Record<string, unknown>) | undefined;
  /** Brings the counters in before a read (a worker group's primary); undefined: they are current. */
  readonly refresh?: (() => Promise<void>) | undefined;
  /** A worker group's primary: its workers' own flags, shown per server as `worker_flags`. */
  readonly group?: GroupReadings | undefined;
  /** The TLS listeners' certificates (runtime/cert-expiry), shown as `tls`. */
  readonly certificates?: { readonly served: readonly ServedCertificate[] };
  /** With `fleet:`: the nodes seen through Redis, shown as `fleet`. */
  readonly fleet?: { status(): Record<string, unknown> } | undefined;
}

/** `tls`: each TLS listener's certificates with their notAfter (names and file only: never PEM or key text). */
function tlsDetails(served: readonly ServedCertificate[]): Array<Record<string, unknown>> {
  const by = new Map<string, Array<Record<string, unknown>>>();
  for (const c of served) {
    const list = by.get(c.listener) ?? [];
    by.set(c.listener, list);
    list.push({ names: c.names.split(','), file: c.file, not_after: new Date(c.notAfter).toISOString() });
  }
  return [...by].map(([listener, certificates]) => ({ listener, certificates }));
}

/** Fault-tolerance state for /status: breaker states, outlier counters, queue and retries. */
function upstreamDetails(u: UpstreamRuntime | undefined, ft: FaultTolerance | undefined, group: GroupReadings | undefined): Record<string, unknown> {
  if (u === undefined) return {};
  const out: Record<string, unknown> = {};
  // A worker group's primary shows its workers' sums (runtime/group/counters).
  if (ft?.outlier !== undefined) out['outlier_detection'] = group?.outlier(u.name) ?? ft.outlier.stats();
  if (ft?.breaker !== undefined) {
    out['circuit_breaker'] = {
      states: Object.fromEntries(u.servers.all.map((s) => [s.name, group?.circuitState(s) ?? ft.breaker!.state(s)])),
      pending: group?.queueLength(u.name) ?? u.pending?.length ?? 0,
      overflowed: u.pending?.overflowed ?? 0,
      pending_timed_out: u.pending?.timedOut ?? 0,
    };
  }
  if (u.affinity !== undefined) out['sticky'] = { mode: u.affinity.config.mode, size: u.affinity.table.size, repins: u.affinity.table.repins };
  if (u.retry !== undefined) out['retries'] = { in_flight: u.retry.inFlight, budget_exhausted: u.retry.budgetExhausted };
  return out;
}

export function statusView(app: StatusSource): RuntimeView {
  return {
    refresh: app.refresh,
    get version() {
      return app.status.version;
    },
    get loadedAt() {
      return app.status.loadedAt;
    },
    configDetails: () => ({
      file: app.configFile,
      last_error:
        app.status.lastError === undefined
          ? null
          : { at: new Date(app.status.lastError.at).toISOString(), trigger: app.status.lastError.trigger, errors: app.status.lastError.errors },
      needs_restart: app.status.needsRestart,
    }),
    extra: () => {
      const backup = app.backup.status();
      const tls = tlsDetails(app.certificates?.served ?? []);
      return { ...(backup === undefined ? {} : { backup }), alerts: app.alerts.status(), ...(tls.length === 0 ? {} : { tls }), ...(app.fleet === undefined ? {} : { fleet: app.fleet.status() }), ...app.extraStatus?.() };
    },
    upstreams: () => app.proxy.state.upstreams.values(),
    upstreamDetails: (name) => upstreamDetails(app.proxy.state.upstreams.get(name), app.faultTolerance.get(name), app.group),
    serverDetails: (s) => ({ override: app.overrides.get(s) ?? null, ...(app.group === undefined ? {} : { worker_flags: app.group.workerFlags(s) }) }),
  };
}
