/**
 * @module admin/metrics
 * bulwark's Prometheus metrics, on a Registry of their own (never prom-client's global
 * one: an embedder's metrics and two Apps in one process stay apart). Nothing here runs
 * per request: the proxy counts in plain fields (Server.attempts, Proxy.answered) and
 * every series that mirrors running state is rebuilt from it at scrape time by a collect
 * callback, so a reload that removes a server or an upstream removes its series.
 * The composition root (runtime/) creates one, feeds it reload outcomes, and hands it the
 * servers of every new proxy state to follow (watch).
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Server } from '../../core/server.js';
import { checkMetrics, type CheckResults } from './checks.js';
import { configMetrics, type ReloadResult } from './config.js';
import type { MetricsSource } from './source.js';
import { healthMetrics } from './health.js';
import { resilienceMetrics } from './resilience.js';
import { trafficMetrics } from './traffic.js';
import { alertMetrics } from './alerts.js';
import { backupMetrics } from './backup.js';
import { latencyMetrics } from './latency.js';
import { tlsMetrics } from './tls.js';

export interface BulwarkMetrics {
  readonly registry: Registry;
  /** Counts one reload outcome (call once per reload). */
  reloaded(result: ReloadResult): void;
  /** Follows the flag changes of these servers (each followed once, however often given). */
  watch(servers: readonly Server[]): void;
  /** Counts the results of an upstream's health checker (each followed once, however often given). */
  followChecks(upstream: string, checker: CheckResults): void;
}

/**
 * @param processMetrics add prom-client's process and Node metrics, under their standard
 *   names (process_*, nodejs_*) as dashboards expect them. They measure the whole process
 *   and start monitors that live as long as it does (event-loop delay, GC observer): ask for
 *   them once per process, not per App an embedder or a test starts.
 */
export function createMetrics(src: MetricsSource, processMetrics: boolean): BulwarkMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'bulwark_build_info', help: 'Always 1; the labels give the bulwark and Node.js versions.', labelNames: ['version', 'node'], registers: [registry] })
    .labels(src.version, process.version)
    .set(1);
  const config = configMetrics(registry, src);
  const health = healthMetrics(registry, src);
  trafficMetrics(registry, src);
  latencyMetrics(registry, src);
  resilienceMetrics(registry, src);
  const checks = checkMetrics(registry, src);
  alertMetrics(registry, src);
  backupMetrics(registry, src);
  tlsMetrics(registry, src);
  return { registry, reloaded: config.reloaded, watch: health.watch, followChecks: checks.followChecks };
}

export type { ReloadResult } from './config.js';
export type { MetricsSource, UpstreamView } from './source.js';
export type { CheckResults } from './checks.js';
