/**
 * @module runtime/fault-tolerance
 * Wires one upstream's fault-tolerance parts together. Each part owns one server flag and
 * never calls another; this is the one place that connects them: the health checker's
 * passing checks un-eject (Envoy's "successful active check may un-eject"), attempt
 * outcomes feed outlier detection and the error-rate breaker, and every check result and
 * flag change is logged.
 */
import type pino from 'pino';
import type { Clock, Random } from '../core/clock.js';
import { HealthChecker } from '../health/index.js';
import { ErrorRateBreaker, OutlierDetector, SlowStart } from '../resilience/index.js';
import type { UpstreamRuntime } from '../proxy/upstream.js';

export interface FaultTolerance {
  readonly health: HealthChecker | undefined;
  readonly outlier: OutlierDetector | undefined;
  readonly breaker: ErrorRateBreaker | undefined;
  readonly slowStart: SlowStart | undefined;
  /**
   * Follows a reload that kept this upstream's fault-tolerance settings: the parts move to
   * the new runtime `u`, keeping the state of servers that stay.
   */
  sync(u: UpstreamRuntime): void;
  stop(): void;
}

/** `activeChecks: false` (a group's worker) runs no health checker: the primary's flags arrive by IPC. */
export function attachFaultTolerance(u: UpstreamRuntime, deps: { clock: Clock; random: Random; activeChecks?: boolean }, log: pino.Logger): FaultTolerance {
  const c = u.config;
  const servers = u.servers.all;
  const outlier = c.outlier_detection === undefined ? undefined : new OutlierDetector(servers, c.outlier_detection, deps);
  const breaker = c.circuit_breaker === undefined ? undefined : new ErrorRateBreaker(servers, c.circuit_breaker, deps);
  const slowStart = c.slow_start > 0 ? new SlowStart(u.servers, c.slow_start, deps) : undefined;
  if (outlier !== undefined) u.observers.push(outlier);
  if (breaker !== undefined) u.observers.push(breaker);

  let health: HealthChecker | undefined;
  if (c.health_check !== undefined && deps.activeChecks !== false) {
    health = new HealthChecker(servers, c.health_check, deps, c.tls, c.proxy_protocol);
    health.onResult((r) => {
      r.server.lastCheck = { ok: r.ok, detail: r.detail, durationMs: r.durationMs, at: deps.clock.now() };
      log.debug({ event: 'health_check', server: r.server.id, ok: r.ok, detail: r.detail, duration_ms: r.durationMs }, `check ${r.server.id}: ${r.ok ? 'ok' : 'failed'}: ${r.detail}`);
      if (r.ok) outlier?.onHealthCheckPassed(r.server);
    });
    health.start();
  }
  return {
    health,
    outlier,
    breaker,
    slowStart,
    sync: (next) => {
      health?.sync(next.servers.all);
      outlier?.sync(next.servers.all);
      breaker?.sync(next.servers.all);
      slowStart?.sync(next.servers);
      if (outlier !== undefined) next.observers.push(outlier);
      if (breaker !== undefined) next.observers.push(breaker);
    },
    stop: () => {
      health?.stop();
      outlier?.stop();
      breaker?.stop();
      slowStart?.stop();
    },
  };
}
