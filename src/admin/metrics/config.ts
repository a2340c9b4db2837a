/**
 * @module admin/metrics/config
 * The config's metrics: reloads by result, the running version, and when the running
 * config was last loaded successfully.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSource } from './source.js';

/** A reload's result, as runtime/reload reports it. */
export type ReloadResult = 'applied' | 'unchanged' | 'rejected';

export function configMetrics(registry: Registry, src: MetricsSource): { reloaded(result: ReloadResult): void } {
  const reloads = new Counter({
    name: 'bulwark_config_reloads_total',
    help: 'Config reloads by result: applied, unchanged (valid, nothing changed) or rejected (the running config stays).',
    labelNames: ['result'],
    registers: [registry],
  });
  // Pre-bound, so every result has a series from the start (a rate over a missing series is empty, not 0).
  const byResult = { applied: reloads.labels('applied'), unchanged: reloads.labels('unchanged'), rejected: reloads.labels('rejected') };
  for (const c of Object.values(byResult)) c.inc(0);
  new Gauge({
    name: 'bulwark_config_version',
    help: 'The running config version: 1 at start, one more per applied reload.',
    registers: [registry],
    collect() {
      this.set(src.configVersion());
    },
  });
  const lastSuccess = new Gauge({
    name: 'bulwark_config_last_reload_success_timestamp_seconds',
    help: 'Unix time of the last successful config load: the start, or an applied or unchanged reload.',
    registers: [registry],
  });
  lastSuccess.set(src.loadedAt() / 1000);
  return {
    reloaded(result) {
      byResult[result].inc();
      if (result !== 'rejected') lastSuccess.set(src.clock.now() / 1000);
    },
  };
}
