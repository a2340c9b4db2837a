/**
 * @module admin/metrics/alerts
 * The alert webhooks' delivery counters (runtime/alerts), read at scrape time: events
 * delivered, tries that failed, and events dropped (queue full or out of tries).
 */
import { Counter, type Registry } from 'prom-client';
import type { MetricsSource } from './source.js';

const RESULTS = ['sent', 'failed', 'dropped'] as const;

export function alertMetrics(registry: Registry, src: MetricsSource): void {
  new Counter({
    name: 'bulwark_alerts_total',
    help: 'Alert deliveries: sent (a 2xx answer), failed (a try that got none; it is retried) and dropped (queue full, or out of tries).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const counts = src.alerts();
      this.reset();
      for (const r of RESULTS) this.labels(r).inc(counts[r]);
    },
  });
}
