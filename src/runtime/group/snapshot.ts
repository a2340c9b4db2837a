/**
 * @module runtime/group/snapshot
 * What a worker reports of its counters when the primary asks (runtime/group/counters sums
 * them): the plain fields its request path counts in, its own flags and breaker states, its
 * queue's length and its open client connections, keyed by server id (`upstream/server`)
 * and upstream name.
 */
import type { LatencyHistogram } from '../../core/latency.js';
import type { CircuitState } from '../../resilience/index.js';
import type { App } from '../app.js';

/** A LatencyHistogram's numbers. */
export interface HistogramCounts {
  readonly counts: number[];
  readonly sumMs: number;
  readonly count: number;
}

/** One worker's counters now, keyed by server id (`upstream/server`) and by upstream name. */
export interface CounterSnapshot {
  readonly servers: Record<string, { readonly attempts: number[]; readonly retries: number; readonly active: number; readonly tunnels: number; readonly flags?: readonly string[]; readonly circuit?: CircuitState; readonly counts?: Record<string, number> }>;
  readonly answered: Record<string, number[]>;
  readonly durations: Record<string, HistogramCounts>;
  readonly ttfb: Record<string, HistogramCounts>;
  /** Client connections open on its proxy listeners. */
  readonly connections: number;
  /** Per upstream: the pending queue's and the retry policy's plain counters (UPSTREAM_FIELDS), the queue's length (`pending`). */
  readonly upstreams: Record<string, Record<string, number>>;
}

type Runtime = ReturnType<App['proxy']['state']['upstreams']['get']> & object;

/**
 * An upstream's plain counters beside the per-server ones, each read and written in place;
 * `gauge` ones are summed over the live workers only. Absent where the upstream has no such part.
 */
export const UPSTREAM_FIELDS: ReadonlyArray<{ key: string; gauge?: true; get(u: Runtime): number | undefined; set(u: Runtime, n: number): void }> = [
  { key: 'overflowed', get: (u) => u.pending?.overflowed, set: (u, n) => void (u.pending && (u.pending.overflowed = n)) },
  { key: 'timed_out', get: (u) => u.pending?.timedOut, set: (u, n) => void (u.pending && (u.pending.timedOut = n)) },
  { key: 'budget_exhausted', get: (u) => u.retry?.budgetExhausted, set: (u, n) => void (u.retry && (u.retry.budgetExhausted = n)) },
  { key: 'rate_limited', get: (u) => u.rateLimited, set: (u, n) => void (u.rateLimited = n) },
  { key: 'retried', get: (u) => u.retry?.retries.retried, set: (u, n) => void (u.retry && (u.retry.retries.retried = n)) },
  { key: 'succeeded', get: (u) => u.retry?.retries.succeeded, set: (u, n) => void (u.retry && (u.retry.retries.succeeded = n)) },
  { key: 'failed', get: (u) => u.retry?.retries.failed, set: (u, n) => void (u.retry && (u.retry.retries.failed = n)) },
  { key: 'retry_in_flight', gauge: true, get: (u) => u.retry?.inFlight, set: (u, n) => void (u.retry && (u.retry.inFlight = n)) },
];
export const GAUGE_KEYS = new Set([...UPSTREAM_FIELDS.filter((f) => f.gauge).map((f) => f.key), 'outlier.ejected_now', 'pending']);

/** `{ detected: {...}, enforced: {...} }` as flat `detected.<kind>` keys under `prefix`, into `into`. */
function flatten(into: Record<string, number>, prefix: string, stats: { readonly detected: Readonly<Record<string, number>>; readonly enforced: Readonly<Record<string, number>> }): void {
  for (const part of ['detected', 'enforced'] as const) for (const [k, n] of Object.entries(stats[part])) into[`${prefix}${part}.${k}`] = n;
}

/** The inverse of `flatten`: undefined when no key is there (the upstream has no outlier_detection). */
export function unflatten(from: Readonly<Record<string, number>> | undefined, prefix: string): { detected: Record<string, number>; enforced: Record<string, number> } | undefined {
  const out = { detected: {} as Record<string, number>, enforced: {} as Record<string, number> };
  let any = false;
  for (const [k, n] of Object.entries(from ?? {})) {
    if (!k.startsWith(prefix)) continue;
    const [part, kind] = k.slice(prefix.length).split('.') as ['detected' | 'enforced', string];
    if (part in out) (out[part][kind] = n), (any = true);
  }
  return any ? out : undefined;
}

/** The flags each worker decides on its own (runtime/group/messages GROUP_FLAGS are the primary's). */
export const WORKER_FLAGS = ['ejected', 'circuit_open'] as const;

const hist = (h: LatencyHistogram): HistogramCounts => ({ counts: [...h.counts], sumMs: h.sumMs, count: h.count });

/** A worker's side: its counters now, its own flags, and its open client connections. */
export async function takeSnapshot(app: App): Promise<CounterSnapshot> {
  const open = app.frontServers.map((s) => new Promise<number>((r) => s.getConnections((err, n) => r(err ? 0 : n))));
  const snap: CounterSnapshot = { servers: {}, answered: {}, durations: {}, ttfb: {}, connections: (await Promise.all(open)).reduce((a, b) => a + b, 0), upstreams: {} };
  for (const u of app.proxy.state.upstreams.values()) {
    snap.ttfb[u.name] = hist(u.ttfb);
    const fields: Record<string, number> = (snap.upstreams[u.name] = {});
    const ft = app.faultTolerance.get(u.name);
    if (ft?.outlier !== undefined) {
      const stats = ft.outlier.stats();
      flatten(fields, 'outlier.', stats);
      fields['outlier.ejected_now'] = stats.ejected_now;
    }
    for (const f of UPSTREAM_FIELDS) {
      const n = f.get(u);
      if (n !== undefined) fields[f.key] = n;
    }
    if (u.pending !== undefined) fields['pending'] = u.pending.length;
    for (const s of u.servers.all) {
      const flags = WORKER_FLAGS.filter((f) => s.hasFlag(f));
      const counts: Record<string, number> = {};
      const ejections = ft?.outlier?.ejections(s);
      if (ejections !== undefined) flatten(counts, '', ejections);
      if (ft?.breaker !== undefined) counts['trips'] = ft.breaker.trips(s);
      const circuit = ft?.breaker?.state(s) ?? 'closed';
      snap.servers[s.id] = { attempts: [...s.attempts], retries: s.retries, active: s.activeRequests, tunnels: s.tunnels, ...(flags.length > 0 ? { flags } : {}), ...(circuit !== 'closed' ? { circuit } : {}), counts };
    }
  }
  for (const [name, c] of app.proxy.answered) snap.answered[name] = [...c];
  for (const [name, h] of app.proxy.durations) snap.durations[name] = hist(h);
  return snap;
}
