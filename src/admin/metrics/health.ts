/**
 * @module admin/metrics/health
 * Each server's health: whether it is up, which flags it carries, its effective weight, and
 * its transitions between available and unavailable. The gauges are rebuilt from the
 * running servers at every scrape (reset, then set), so a removed server's series go with it.
 */
import { Gauge, type Registry } from 'prom-client';
import { SERVER_FLAGS, type Server } from '../../core/server.js';
import { perServerCounter, rebuildPerServer, type MetricsSource } from './source.js';

/** What a server's flag changes have done so far (kept beside the Server, never on the hot path). */
interface History {
  up: boolean;
  toUp: number;
  toDown: number;
  /** Epoch ms of the last transition, or when the server was first followed. */
  lastChange: number;
}

const SERVER_LABELS = ['upstream', 'server'] as const;

export function healthMetrics(registry: Registry, src: MetricsSource): { watch(servers: readonly Server[]): void } {
  const histories = new WeakMap<Server, History>();
  const rebuild = (metric: { reset(): void }, each: (upstream: string, s: Server) => void): void => rebuildPerServer(metric, src, each);
  new Gauge({
    name: 'bulwark_server_up',
    help: '1 when the server takes traffic (it carries no flag), else 0.',
    labelNames: SERVER_LABELS,
    registers: [registry],
    collect() {
      rebuild(this, (u, s) => this.labels(u, s.name).set(s.available ? 1 : 0));
    },
  });
  new Gauge({
    name: 'bulwark_server_flag',
    help: `1 when the server carries the flag (${SERVER_FLAGS.join(', ')}), else 0.`,
    labelNames: [...SERVER_LABELS, 'flag'],
    registers: [registry],
    collect() {
      rebuild(this, (u, s) => {
        for (const f of SERVER_FLAGS) this.labels(u, s.name, f).set(s.hasFlag(f) || src.workerFlag?.(s, f) === true ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'bulwark_server_effective_weight',
    help: 'The weight schedulers use now: the configured or overridden weight, less while slow start ramps the server up.',
    labelNames: SERVER_LABELS,
    registers: [registry],
    collect() {
      rebuild(this, (u, s) => this.labels(u, s.name).set(s.weight));
    },
  });
  perServerCounter(registry, src, 'bulwark_server_transitions_total', 'Times the server became available (to="up") or unavailable (to="down").', 'to', (s, add) => {
    const h = histories.get(s);
    add('up', h?.toUp ?? 0);
    add('down', h?.toDown ?? 0);
  });
  new Gauge({
    name: 'bulwark_server_last_change_timestamp_seconds',
    help: 'Unix time of the server\'s last transition (or of when bulwark started following it).',
    labelNames: SERVER_LABELS,
    registers: [registry],
    collect() {
      rebuild(this, (u, s) => {
        const h = histories.get(s);
        if (h !== undefined) this.labels(u, s.name).set(h.lastChange / 1000);
      });
    },
  });
  return {
    watch(servers) {
      for (const s of servers) {
        if (histories.has(s)) continue;
        const h: History = { up: s.available, toUp: 0, toDown: 0, lastChange: src.clock.now() };
        histories.set(s, h);
        // A flag set on a server that already carries one (or a reason updated) is no transition.
        s.onFlagChange((c) => {
          if (s.available === h.up) return;
          h.up = s.available;
          if (h.up) h.toUp++;
          else h.toDown++;
          h.lastChange = c.at;
        });
      }
    },
  };
}
