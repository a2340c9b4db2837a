// One sample = one target, started fresh: start it, warm up, measure, stop.
import autocannon from 'autocannon';
import { cpuSeconds } from './proc.js';
import { TARGETS } from './targets.js';

const cpuOf = (pids) => pids.reduce((s, pid) => s + cpuSeconds(pid), 0);

/** The few autocannon summary fields kept in the JSON (the raw object is large). */
function summary(r) {
  const { mean, stddev, p90, p99, max } = r.latency;
  return {
    duration: r.duration,
    latency: { mean, stddev, p90, p99, max },
    requests: { mean: r.requests.mean, stddev: r.requests.stddev, min: r.requests.min, max: r.requests.max },
    throughputMean: r.throughput.mean,
  };
}

/**
 * Benchmark one target once. `load` = { duration, warmup, connections, pipelining }.
 * Resolves with a flat sample object (see README "What is measured").
 */
export async function measureSample(name, { origins, tmpDir }, load) {
  const run = (url, duration) =>
    autocannon({ url, connections: load.connections, pipelining: load.pipelining, duration });
  const t = await TARGETS[name]({ origins, tmpDir });
  try {
    let warmupRequests = 0;
    if (load.warmup > 0) warmupRequests = (await run(t.url, load.warmup)).requests.total;
    const cpu0 = cpuOf(t.cpuPids);
    const r = await run(t.url, load.duration);
    const cpu1 = cpuOf(t.cpuPids);
    const completed = r.requests.total;
    const sample = {
      url: t.url,
      rps: r.requests.mean,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      completed,
      warmupRequests,
      cpuSeconds: cpu1 - cpu0,
      cpuUsPerReq: completed > 0 ? ((cpu1 - cpu0) * 1e6) / completed : null,
      autocannon: summary(r),
    };
    await t.stop();
    if (t.after) Object.assign(sample, t.after());
    return sample;
  } finally {
    await t.stop();
  }
}
