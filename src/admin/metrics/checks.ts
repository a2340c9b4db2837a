/**
 * @module admin/metrics/checks
 * Active health checks: results per server and probe durations per upstream, fed by each
 * health checker's results (a few per second at most, so they are counted as they come).
 */
import { Histogram, type Registry } from 'prom-client';
import type { Server } from '../../core/server.js';
import { perServerCounter, type MetricsSource } from './source.js';

/** What the metrics need of a health checker (health/checker's HealthChecker is one). */
export interface CheckResults {
  onResult(listener: (r: { readonly server: Server; readonly ok: boolean; readonly durationMs: number }) => void): () => void;
}

export function checkMetrics(registry: Registry, src: MetricsSource): { followChecks(upstream: string, checker: CheckResults): void } {
  /** [passed, failed] per server; a server a reload removes goes with its series. */
  const counts = new WeakMap<Server, [number, number]>();
  const followed = new WeakSet<CheckResults>();
  /** Upstreams with a duration series, so that a removed upstream's series can go. */
  const timed = new Set<string>();
  perServerCounter(registry, src, 'bulwark_health_checks_total', 'Active health checks of the server by result: passed or failed.', 'result', (s, add) => {
    const c = counts.get(s);
    if (c === undefined) return;
    add('passed', c[0]);
    add('failed', c[1]);
  });
  const duration = new Histogram({
    name: 'bulwark_health_check_duration_seconds',
    help: 'How long each active health check took, passed or failed.',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      const running = new Set([...src.upstreams()].map((u) => u.name));
      for (const name of timed) {
        if (running.has(name)) continue;
        this.remove(name);
        timed.delete(name);
      }
    },
  });
  return {
    followChecks(upstream, checker) {
      if (followed.has(checker)) return;
      followed.add(checker);
      const hist = duration.labels(upstream);
      timed.add(upstream);
      checker.onResult((r) => {
        let c = counts.get(r.server);
        if (c === undefined) counts.set(r.server, (c = [0, 0]));
        c[r.ok ? 0 : 1]++;
        hist.observe(r.durationMs / 1000);
      });
    },
  };
}
