/**
 * @module admin/metrics/resilience
 * Circuit breakers, outlier detection, the pending queue, retries and sticky sessions,
 * read at scrape time from each upstream's parts. Series exist only for upstreams that
 * configure the part. The queue's and the retries' counts belong to the upstream's
 * runtime, which every applied reload rebuilds: they start again from 0 then (a counter
 * reset), as do a breaker's or a detector's when a reload changes its settings.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { REPIN_REASONS } from '../../balancer/sticky/index.js';
import type { Server } from '../../core/server.js';
import type { MetricsSource, UpstreamView } from './source.js';

const CIRCUIT = { closed: 0, open: 1, half_open: 2 } as const;

export function resilienceMetrics(registry: Registry, src: MetricsSource): void {
  /** Resets `metric`, then runs `each` for every running upstream. */
  const rebuild = (metric: { reset(): void }, each: (u: UpstreamView) => void): void => {
    metric.reset();
    for (const u of src.upstreams()) each(u);
  };
  /** Resets `metric`, then (unless metrics.per_server is off) runs `each` for every running server. */
  const eachServer = (metric: { reset(): void }, each: (u: UpstreamView, s: Server) => void): void =>
    rebuild(metric, (u) => {
      if (src.perServer()) for (const s of u.servers) each(u, s);
    });
  new Gauge({
    name: 'bulwark_circuit_state',
    help: 'The server\'s circuit: 0 closed, 1 open, 2 half-open.',
    labelNames: ['upstream', 'server'],
    registers: [registry],
    collect() {
      eachServer(this, (u, s) => u.circuit !== undefined && this.labels(u.name, s.name).set(CIRCUIT[u.circuit(s)]));
    },
  });
  new Counter({
    name: 'bulwark_circuit_trips_total',
    help: 'Times the server\'s circuit went from closed to open (re-openings after a failed half-open probe not counted).',
    labelNames: ['upstream', 'server'],
    registers: [registry],
    collect() {
      eachServer(this, (u, s) => u.circuitTrips !== undefined && this.labels(u.name, s.name).inc(u.circuitTrips(s)));
    },
  });
  new Counter({
    name: 'bulwark_outlier_ejections_total',
    help: 'Outlier ejections of the server by reason: kind="detected" (the server was an outlier) and kind="enforced" (it was ejected: max_ejection_percent allowed it).',
    labelNames: ['upstream', 'server', 'kind', 'reason'],
    registers: [registry],
    collect() {
      eachServer(this, (u, s) => {
        const counts = u.serverEjections?.(s);
        if (counts === undefined) return;
        for (const kind of ['detected', 'enforced'] as const) {
          for (const [reason, n] of Object.entries(counts[kind])) this.labels(u.name, s.name, kind, reason).inc(n);
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
  /** A counter per upstream labelled `label`: `counts` gives each value's count, or undefined for an upstream without the part. */
  const upstreamCounter = (name: string, help: string, label: string, counts: (u: UpstreamView) => Iterable<readonly [string, number]> | undefined): void =>
    void new Counter({
      name,
      help,
      labelNames: ['upstream', label],
      registers: [registry],
      collect() {
        rebuild(this, (u) => {
          for (const [value, n] of counts(u) ?? []) this.labels(u.name, value).inc(n);
        });
      },
    });
  upstreamCounter(
    'bulwark_queue_rejections_total',
    'Requests refused with 503 for want of a free slot: reason="overflow" (the queue was full) or "timeout" (waited past pending_timeout).',
    'reason',
    (u) => u.queue && [['overflow', u.queue.overflowed], ['timeout', u.queue.timedOut]],
  );
  upstreamCounter(
    'bulwark_sticky_reassignments_total',
    'Sessions re-pinned to another server, by reason: server_removed (a reload removed it), server_unavailable (it carries a flag), server_busy_or_failed (at max_concurrent, or its attempt failed and a retry answered) or server_not_in_view (in a fleet: the pin read from Redis names a server this node does not have).',
    'reason',
    (u) => u.sticky && REPIN_REASONS.map((r) => [r, u.sticky!.repins.get(r) ?? 0] as const),
  );
  upstreamCounter(
    'bulwark_retries_total',
    'Retries: result="retried" counts each retry attempt; "succeeded" and "failed" count the requests that made one, by whether a response below 500 reached the client.',
    'result',
    (u) => u.retries && Object.entries(u.retries),
  );
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
