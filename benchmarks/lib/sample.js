// One round = one sample of every target. All targets of the round are started fresh
// and warmed up; then the measured load is given in short slices that take turns
// between the targets (A B C, B C A, C A B, ...), so every target is measured across the
// same stretch of time. Each target's sample adds up its slices.
//
// Why slices: on a shared 2-core VM the machine's speed drifts over tens of seconds.
// The same bulwark process, under the same fixed load, measured 68–87 µs CPU/req in six
// consecutive 5 s windows. With one long block per target, each target of a round saw a
// different stretch of that drift and the per-round ratios swung by ±25%; taking turns
// every couple of seconds puts the drift on every target alike.
import autocannon from 'autocannon';
import { cpuSeconds } from './proc.js';
import { median } from './stats.js';
import { percentile } from './percentile.js';
import { TARGETS } from './targets.js';

const cpuOf = (pids) => pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
/** This process's CPU seconds (every thread): autocannon runs in it, so this is the load generator's. */
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/**
 * The share of one core per autocannon thread at which the load generator counts as
 * saturated: autocannon then sets the pace, and the target's req/s measures the load generator.
 */
export const LOADGEN_BOUND = 0.9;

/** The sample's p50 and p99 in ms: from every response time when `exact` (and any was seen), else medians of the slices'. */
function latencyOf(a, exact) {
  if (!exact || a.times.length === 0) return { p50: median(a.p50), p99: median(a.p99) };
  const sorted = Float64Array.from(a.times).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), latencyFrom: 'every response' };
}

/** How many turns a target's measured load is cut into (`load` as for measureRound). */
export const sliceCount = (load) => Math.max(1, Math.round(load.duration / load.slice));

/**
 * Measures one round. `names`: the targets, in this round's order. `load` = { duration,
 * warmup, slice, ramp, connections, pipelining } (seconds). Resolves with { [name]: sample }
 * (see README "What is measured"); a target that fails gets { error }.
 */
export async function measureRound(names, { origins, tmpDir }, load) {
  // `t.requests`: the target's own request mix (autocannon's `requests`, e.g. sessions.js), else GET /.
  const run = (t, duration) =>
    // loadgenThreads > 1: autocannon's own worker threads share the connections (its histograms merged).
    autocannon({
      url: t.url,
      connections: load.connections,
      pipelining: load.pipelining,
      duration,
      ...(t.requests ? { requests: t.requests } : {}),
      ...(load.loadgenThreads > 1 ? { workers: load.loadgenThreads } : {}),
    });
  const threads = Math.max(1, load.loadgenThreads ?? 1);
  const out = {};
  /** Targets still being measured; `all` keeps every started one, so all are stopped. */
  const started = {};
  const all = [];
  const fail = (name, e) => {
    out[name] = { error: e.message };
    delete started[name];
  };
  try {
    for (const name of names) {
      try {
        started[name] = await TARGETS[name]({ origins, tmpDir });
        all.push(started[name]);
      } catch (e) {
        fail(name, e);
      }
    }
    const acc = {};
    for (const name of names) {
      if (!started[name]) continue;
      acc[name] = { warmupRequests: 0, completed: 0, seconds: 0, cpu: 0, loadgenCpu: 0, non2xx: 0, errors: 0, timeouts: 0, p50: [], p99: [], times: [] };
      try {
        if (load.warmup > 0) acc[name].warmupRequests = (await run(started[name], load.warmup)).requests.total;
      } catch (e) {
        fail(name, e);
      }
    }
    const slices = sliceCount(load);
    const sliceSeconds = load.duration / slices;
    for (let s = 0; s < slices; s++) {
      const live = names.filter((n) => started[n]);
      for (let i = 0; i < live.length; i++) {
        const name = live[(i + s) % live.length];
        const t = started[name];
        const a = acc[name];
        try {
          // Back from idle (the others' turns), a process first runs its idle-time GC and
          // regrows its young generation: a short unmeasured ramp keeps that out.
          if (load.ramp > 0) a.warmupRequests += (await run(t, load.ramp)).requests.total;
          const cpu0 = cpuOf(t.cpuPids);
          const lg0 = ownCpu();
          const inst = run(t, sliceSeconds);
          // `exactLatency`: every response time (float ms), for a p99 finer than autocannon's whole ms.
          if (t.exactLatency) inst.on('response', (_c, _s, _b, ms) => a.times.push(ms));
          const r = await inst;
          a.loadgenCpu += ownCpu() - lg0;
          a.cpu += cpuOf(t.cpuPids) - cpu0;
          a.completed += r.requests.total;
          a.seconds += r.duration;
          a.non2xx += r.non2xx;
          a.errors += r.errors;
          a.timeouts += r.timeouts;
          a.p50.push(r.latency.p50);
          a.p99.push(r.latency.p99);
        } catch (e) {
          fail(name, e);
        }
      }
    }
    for (const name of names) {
      const t = started[name];
      if (!t) continue;
      const a = acc[name];
      await t.stop();
      out[name] = {
        url: t.url,
        rps: a.seconds > 0 ? a.completed / a.seconds : null,
        // Per slice, the sample's value the median over its slices; or, with `exactLatency`, the
        // percentiles of every measured response time (nearest rank).
        ...latencyOf(a, t.exactLatency === true),
        non2xx: a.non2xx,
        errors: a.errors,
        timeouts: a.timeouts,
        completed: a.completed,
        warmupRequests: a.warmupRequests,
        slices,
        seconds: a.seconds,
        cpuSeconds: a.cpu,
        cpuUsPerReq: a.completed > 0 ? (a.cpu * 1e6) / a.completed : null,
        // The load generator's CPU over the measured seconds, in cores (1 = one core busy).
        loadgenCores: a.seconds > 0 ? a.loadgenCpu / a.seconds : null,
        loadgenBound: a.seconds > 0 && a.loadgenCpu / a.seconds >= LOADGEN_BOUND * threads,
        ...(t.after ? t.after() : {}),
      };
    }
    return out;
  } finally {
    await Promise.all(all.map((t) => t.stop()));
  }
}
