/**
 * @module runtime/group/counters
 * The group's request counters. Each worker counts in plain fields on its request path
 * (Server.attempts, Proxy.answered, Proxy.durations, UpstreamRuntime.ttfb...); the primary,
 * which serves nothing, asks every worker for a snapshot before /status, /metrics or a
 * dashboard tick reads, and writes the group's sums into its own same fields, so every
 * reader shows the group unchanged; the outlier and breaker counts, private to their
 * objects, are read through GroupReadings instead. Counters stay monotonic across a worker's restart: its
 * last snapshot joins a retired total when it exits (what it counted after that snapshot is
 * lost). Gauges (active requests, tunnels) are summed over the live workers only.
 */
import { LatencyHistogram } from '../../core/latency.js';
import type { Server } from '../../core/server.js';
import type { CircuitState } from '../../resilience/index.js';
import type { App } from '../app.js';
import type { GroupReadings, OutlierView } from '../status-view.js';
import { GAUGE_KEYS, UPSTREAM_FIELDS, unflatten, WORKER_FLAGS, type CounterSnapshot, type HistogramCounts } from './snapshot.js';

const CIRCUIT_RANK: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

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

  /**
   * Server `s`'s circuit over the group: the worst of the live workers' (open, then
   * half_open, then closed), as of their last snapshots; how many have it open is in
   * workerFlags. A client is refused by an open breaker on the worker it lands on.
   */
  circuitState(s: Server): CircuitState {
    let worst: CircuitState = 'closed';
    for (const snap of this.#last.values()) {
      const st = snap.servers[s.id]?.circuit ?? 'closed';
      if (CIRCUIT_RANK[st] > CIRCUIT_RANK[worst]) worst = st;
    }
    return worst;
  }

  /** Requests waiting in an upstream's pending queues, summed over the live workers (as of the last `total()`). */
  queueLength(upstream: string): number {
    return this.#total.upstreams[upstream]?.['pending'] ?? 0;
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
