/**
 * @module admin/metrics/traffic
 * Requests by upstream and status class, attempts by server and outcome, in-flight
 * attempts, open WebSocket tunnels and open client connections. The proxy counts in plain fields on the request
 * path; these counters copy them at scrape time. A server a reload replaces starts again
 * from 0 (a counter reset, which rate() handles); a removed one's series go.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { ATTEMPT_CODES } from '../../core/server.js';
import { perServerCounter, rebuildPerServer, type MetricsSource } from './source.js';

export function trafficMetrics(registry: Registry, src: MetricsSource): void {
  new Counter({
    name: 'bulwark_requests_total',
    help: 'Requests answered, by upstream ("" when no route matched) and status class (code="2xx"…).',
    labelNames: ['upstream', 'code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [upstream, counts] of src.answered()) {
        for (let i = 1; i <= 5; i++) if (counts[i]! > 0) this.labels(upstream, ATTEMPT_CODES[i]!).inc(counts[i]);
      }
    },
  });
  perServerCounter(
    registry,
    src,
    'bulwark_upstream_requests_total',
    'Attempts sent to each server, by status class, or code="error" (no response: refused, reset, timeout, bad response) or "cancelled" (bulwark gave up: client gone, drain).',
    'code',
    (s, add) => {
      for (let i = 0; i < ATTEMPT_CODES.length; i++) if (s.attempts[i]! > 0) add(ATTEMPT_CODES[i]!, s.attempts[i]!);
    },
  );
  new Gauge({
    name: 'bulwark_upstream_in_flight',
    help: 'Attempts sent to the server and not finished.',
    labelNames: ['upstream', 'server'],
    registers: [registry],
    collect() {
      rebuildPerServer(this, src, (u, s) => this.labels(u, s.name).set(s.activeRequests));
    },
  });
  new Counter({
    name: 'bulwark_rate_limited_total',
    help: "Requests refused with 429 by a route's rate_limit, by the upstream the route sends to.",
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of src.upstreams()) if (u.rateLimited) this.labels(u.name).inc(u.rateLimited);
    },
  });
  new Gauge({
    name: 'bulwark_websocket_tunnels',
    help: 'WebSocket tunnels open now (after their 101), by upstream: the sum over its running servers.',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of src.upstreams()) this.labels(u.name).set(u.servers.reduce((n, s) => n + s.tunnels, 0));
    },
  });
  new Gauge({
    name: 'bulwark_open_connections',
    help: 'Client connections open on the proxy listeners.',
    registers: [registry],
    async collect() {
      this.set(await src.openConnections());
    },
  });
}
