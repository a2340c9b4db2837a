/**
 * @module runtime/group/counters
 * The group's request counters. Each worker counts in plain fields on its request path
 * (Server.attempts, Proxy.answered, Proxy.durations, UpstreamRuntime.ttfb...); the primary,
 * which serves nothing, asks every worker for a snapshot before /status, /metrics or a
 * dashboard tick reads, and writes the group's sums into its own same fields, so every
 * reader shows the group unchanged. Counters stay monotonic across a worker's restart: its
 * last snapshot joins a retired total when it exits (what it counted after that snapshot is
 * lost). Gauges (active requests, tunnels) are summed over the live workers only.
 */
import { LatencyHistogram } from '../../core/latency.js';
import type { Server } from '../../core/server.js';
import type { App } from '../app.js';
import type { GroupReadings, OutlierView } from '../status-view.js';

/** A LatencyHistogram's numbers. */
export interface HistogramCounts {
  readonly counts: number[];
  readonly sumMs: number;
  readonly count: number;
}

/** One worker's counters now, keyed by server id (`upstream/server`) and by upstream name. */
export interface CounterSnapshot {
  readonly servers: Record<string, { readonly attempts: number[]; readonly retries: number; readonly active: number; readonly tunnels: number; readonly flags?: readonly string[]; readonly counts?: Record<string, number> }>;
  readonly answered: Record<string, number[]>;
  readonly durations: Record<string, HistogramCounts>;
  readonly ttfb: Record<string, HistogramCounts>;
  /** Client connections open on its proxy listeners. */
  readonly connections: number;
  /** Per upstream: the pending queue's and the retry policy's plain counters (UPSTREAM_FIELDS). */
  readonly upstreams: Record<string, Record<string, number>>;
}

type Runtime = ReturnType<App['proxy']['state']['upstreams']['get']> & object;

/**
 * An upstream's plain counters beside the per-server ones, each read and written in place;
 * `gauge` ones are summed over the live workers only. Absent where the upstream has no such part.
 */
const UPSTREAM_FIELDS: ReadonlyArray<{ key: string; gauge?: true; get(u: Runtime): number | undefined; set(u: Runtime, n: number): void }> = [
  { key: 'overflowed', get: (u) => u.pending?.overflowed, set: (u, n) => void (u.pending && (u.pending.overflowed = n)) },
  { key: 'timed_out', get: (u) => u.pending?.timedOut, set: (u, n) => void (u.pending && (u.pending.timedOut = n)) },
  { key: 'budget_exhausted', get: (u) => u.retry?.budgetExhausted, set: (u, n) => void (u.retry && (u.retry.budgetExhausted = n)) },
  { key: 'retried', get: (u) => u.retry?.retries.retried, set: (u, n) => void (u.retry && (u.retry.retries.retried = n)) },
  { key: 'succeeded', get: (u) => u.retry?.retries.succeeded, set: (u, n) => void (u.retry && (u.retry.retries.succeeded = n)) },
  { key: 'failed', get: (u) => u.retry?.retries.failed, set: (u, n) => void (u.retry && (u.retry.retries.failed = n)) },
  { key: 'retry_in_flight', gauge: true, get: (u) => u.retry?.inFlight, set: (u, n) => void (u.retry && (u.retry.inFlight = n)) },
];
const GAUGE_KEYS = new Set([...UPSTREAM_FIELDS.filter((f) => f.gauge).map((f) => f.key), 'outlier.ejected_now']);

/** `{ detected: {...}, enforced: {...} }` as flat `detected.<kind>` keys under `prefix`, into `into`. */
function flatten(into: Record<string, number>, prefix: string, stats: { readonly detected: Readonly<Record<string, number>>; readonly enforced: Readonly<Record<string, number>> }): void {
  for (const part of ['detected', 'enforced'] as const) for (const [k, n] of Object.entries(stats[part])) into[`${prefix}${part}.${k}`] = n;
}

/** The inverse of `flatten`: undefined when no key is there (the upstream has no outlier_detection). */
function unflatten(from: Readonly<Record<string, number>> | undefined, prefix: string): { detected: Record<string, number>; enforced: Record<string, number> } | undefined {
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
const WORKER_FLAGS = ['ejected', 'circuit_open'] as const;

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
    for (const s of u.servers.all) {
      const flags = WORKER_FLAGS.filter((f) => s.hasFlag(f));
      const counts: Record<string, number> = {};
      const ejections = ft?.outlier?.ejections(s);
      if (ejections !== undefined) flatten(counts, '', ejections);
      if (ft?.breaker !== undefined) counts['trips'] = ft.breaker.trips(s);
      snap.servers[s.id] = { attempts: [...s.attempts], retries: s.retries, active: s.activeRequests, tunnels: s.tunnels, ...(flags.length > 0 ? { flags } : {}), counts };
    }
  }
  for (const [name, c] of app.proxy.answered) snap.answered[name] = [...c];
  for (const [name, h] of app.proxy.durations) snap.durations[name] = hist(h);
  return snap;
}

const addArray = (into: number[], from: readonly number[]): void => from.forEach((n, i) => (into[i] = (into[i] ?? 0) + n));

function addHist(into: Record<string, { counts: number[]; sumMs: number; count: number }>, from: Record<string, HistogramCounts>): void {
  for (const [k, h] of Object.entries(from)) {
    const t = (into[k] ??= { counts: [], sumMs: 0, count: 0 });
    addArray(t.counts, h.counts);
    t.sumMs += h.sumMs;
    t.count += h.count;
  }
}

/** Adds `b` to `a` (a new object); with `gauges` false, active requests and tunnels are left out. */
function add(a: CounterSnapshot, b: CounterSnapshot, gauges: boolean): CounterSnapshot {
  const out = structuredClone(a) as { -readonly [K in keyof CounterSnapshot]: CounterSnapshot[K] };
  for (const [id, s] of Object.entries(b.servers)) {
    const t = (out.servers[id] ??= { attempts: [], retries: 0, active: 0, tunnels: 0 });
    addArray(t.attempts, s.attempts);
    const counts = { ...t.counts };
    for (const [k, n] of Object.entries(s.counts ?? {})) counts[k] = (counts[k] ?? 0) + n;
    out.servers[id] = { attempts: t.attempts, retries: t.retries + s.retries, active: t.active + (gauges ? s.active : 0), tunnels: t.tunnels + (gauges ? s.tunnels : 0), counts };
  }
  for (const [k, c] of Object.entries(b.answered)) addArray((out.answered[k] ??= []), c);
  for (const [name, fields] of Object.entries(b.upstreams)) {
    const t = (out.upstreams[name] ??= {});
    for (const [k, n] of Object.entries(fields)) if (gauges || !GAUGE_KEYS.has(k)) t[k] = (t[k] ?? 0) + n;
  }
  addHist(out.durations, b.durations);
  addHist(out.ttfb, b.ttfb);
  return out;
}

const empty = (): CounterSnapshot => ({ servers: {}, answered: {}, durations: {}, ttfb: {}, connections: 0, upstreams: {} });

/** The primary's side: each worker's last snapshot (by worker slot) and the retired total. */
export class GroupCounters implements GroupReadings {
  readonly #last = new Map<number, CounterSnapshot>();
  #retired = empty();
  /** The sums as of the last `total()` (what /status and /metrics read after a refresh). */
  #total = empty();

  /** Keeps `snap` as worker `slot`'s current counts (a later one replaces it: counters only grow). */
  record(slot: number, snap: CounterSnapshot): void {
    this.#last.set(slot, snap);
  }

  /** Worker `slot` exited: its last counters join the retired total, so no sum goes down. */
  retire(slot: number): void {
    const last = this.#last.get(slot);
    if (last === undefined) return;
    this.#retired = add(this.#retired, last, false);
    this.#last.delete(slot);
  }

  /** How many live workers have each of their own flags set on server `s` (as of their last snapshots). */
  workerFlags(s: Server): Record<(typeof WORKER_FLAGS)[number], number> {
    const out = { ejected: 0, circuit_open: 0 };
    for (const snap of this.#last.values()) for (const f of snap.servers[s.id]?.flags ?? []) if (f in out) out[f as keyof typeof out]++;
    return out;
  }

  /** Client connections open on the live workers' proxy listeners (as of their last snapshots). */
  connections(): number {
    let n = 0;
    for (const snap of this.#last.values()) n += snap.connections;
    return n;
  }

  /** The group's sums: the retired total and every live worker's last snapshot. */
  total(): CounterSnapshot {
    let t = this.#retired;
    for (const snap of this.#last.values()) t = add(t, snap, true);
    this.#total = t;
    return t;
  }

  /** An upstream's outlier counts over the group (undefined without outlier_detection). */
  outlier(upstream: string): OutlierView | undefined {
    const fields = this.#total.upstreams[upstream];
    const stats = unflatten(fields, 'outlier.');
    return stats === undefined ? undefined : { ...stats, ejected_now: fields?.['outlier.ejected_now'] ?? 0 };
  }

  serverEjections(s: Server): ReturnType<GroupReadings['serverEjections']> {
    return unflatten(this.#total.servers[s.id]?.counts, '');
  }

  circuitTrips(s: Server): number {
    return this.#total.servers[s.id]?.counts?.['trips'] ?? 0;
  }
}

/** Writes `t` into the primary's own counters (it serves nothing, so they hold only the group's). */
export function mirror(app: App, t: CounterSnapshot): void {
  const setHist = (h: LatencyHistogram, from: HistogramCounts | undefined): void => {
    h.counts.fill(0);
    if (from !== undefined) from.counts.forEach((n, i) => (h.counts[i] = n));
    h.sumMs = from?.sumMs ?? 0;
    h.count = from?.count ?? 0;
  };
  for (const u of app.proxy.state.upstreams.values()) {
    setHist(u.ttfb, t.ttfb[u.name]);
    for (const f of UPSTREAM_FIELDS) f.set(u, t.upstreams[u.name]?.[f.key] ?? 0);
    for (const s of u.servers.all) {
      const c = t.servers[s.id];
      s.attempts.fill(0);
      c?.attempts.forEach((n, i) => (s.attempts[i] = n));
      s.retries = c?.retries ?? 0;
      s.activeRequests = c?.active ?? 0;
      s.tunnels = c?.tunnels ?? 0;
    }
  }
  for (const [k, c] of Object.entries(t.answered)) app.proxy.answered.set(k, [...c]);
  for (const [k, h] of Object.entries(t.durations)) {
    let mine = app.proxy.durations.get(k);
    if (mine === undefined) app.proxy.durations.set(k, (mine = new LatencyHistogram()));
    setHist(mine, h);
  }
}
