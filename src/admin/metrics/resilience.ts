/**
 * @module admin/metrics/resilience
 * Circuit breakers, outlier detection, the pending queue and the retry budget, read at
 * scrape time from each upstream's parts. Series exist only for upstreams that configure
 * the part. The queue's and the retry budget's counts belong to the upstream's runtime,
 * which every applied reload rebuilds: they start again from 0 then (a counter reset).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSource, UpstreamView } from './source.js';

const CIRCUIT = { closed: 0, open: 1, half_open: 2 } as const;

export function resilienceMetrics(registry: Registry, src: MetricsSource): void {
  /** Resets `metric`, then runs `each` for every running upstream. */
  const rebuild = (metric: { reset(): void }, each: (u: UpstreamView) => void): void => {
    metric.reset();
    for (const u of src.upstreams()) each(u);
  };
  new Gauge({
    name: 'bulwark_circuit_state',
    help: 'The server\'s circuit: 0 closed, 1 open, 2 half-open.',
    labelNames: ['upstream', 'server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of src.upstreams()) {
        const state = u.circuit;
        if (state !== undefined) for (const s of u.servers) this.labels(u.name, s.name).set(CIRCUIT[state(s)]);
      }
    },
  });
  new Counter({
    name: 'bulwark_outlier_ejections_total',
    help: 'Outlier ejections by reason: kind="detected" (the server was an outlier) and kind="enforced" (it was ejected: max_ejection_percent allowed it).',
    labelNames: ['upstream', 'kind', 'reason'],
    registers: [registry],
    collect() {
      rebuild(this, (u) => {
        if (u.outlier === undefined) return;
        for (const kind of ['detected', 'enforced'] as const) {
          for (const [reason, n] of Object.entries(u.outlier[kind])) this.labels(u.name, kind, reason).inc(n);
        }
      });
    },
  });
  /** A gauge per upstream; `read` gives undefined for an upstream without the part. */
  const upstreamGauge = (name: string, help: string, read: (u: UpstreamView) => number | undefined): void =>
    void new Gauge({
      name,
      help,
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        rebuild(this, (u) => {
          const v = read(u);
          if (v !== undefined) this.labels(u.name).set(v);
        });
      },
    });
  upstreamGauge('bulwark_outlier_ejections_active', 'Servers of the upstream ejected now.', (u) => u.outlier?.ejected_now);
  upstreamGauge('bulwark_sticky_entries', 'Sessions in the upstream\'s sticky table.', (u) => u.sticky?.entries);
  upstreamGauge('bulwark_queue_depth', 'Requests waiting for a server under max_concurrent (circuit_breaker.max_pending).', (u) => u.queue?.length);
  new Counter({
    name: 'bulwark_queue_rejections_total',
    help: 'Requests refused with 503 for want of a free slot: reason="overflow" (the queue was full) or "timeout" (waited past pending_timeout).',
    labelNames: ['upstream', 'reason'],
    registers: [registry],
    collect() {
      rebuild(this, (u) => {
        if (u.queue === undefined) return;
        this.labels(u.name, 'overflow').inc(u.queue.overflowed);
        this.labels(u.name, 'timeout').inc(u.queue.timedOut);
      });
    },
  });
  new Counter({
    name: 'bulwark_sticky_reassignments_total',
    help: 'Sessions re-pinned to another server because their server was removed or unavailable.',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      rebuild(this, (u) => u.sticky !== undefined && this.labels(u.name).inc(u.sticky.repins));
    },
  });
  new Counter({
    name: 'bulwark_retry_budget_exhausted_total',
    help: 'Retries not made because the upstream\'s retry budget was spent.',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      rebuild(this, (u) => u.retryBudgetExhausted !== undefined && this.labels(u.name).inc(u.retryBudgetExhausted));
    },
  });
}
