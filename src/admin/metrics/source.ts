/**
 * @module admin/metrics/source
 * What the metrics read from the running process; the composition root provides it.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import type { LatencyHistogram } from '../../core/latency.js';
import type { Server } from '../../core/server.js';

/** One upstream of the running config, as the metrics read it. */
export interface UpstreamView {
  readonly name: string;
  /** Requests its routes' rate_limit refused (UpstreamRuntime.rateLimited). */
  readonly rateLimited?: number;
  readonly servers: readonly Server[];
  /** With a circuit_breaker block: each server's circuit state. */
  readonly circuit?: (server: Server) => 'closed' | 'open' | 'half_open';
  /** With a circuit_breaker block: each server's closed-to-open transitions so far. */
  readonly circuitTrips?: (server: Server) => number;
  /** With outlier_detection: ejections so far by reason, and servers ejected now. */
  readonly outlier?: { readonly detected: Readonly<Record<string, number>>; readonly enforced: Readonly<Record<string, number>>; readonly ejected_now: number };
  /** With outlier_detection: one server's detections and ejections so far, by reason. */
  readonly serverEjections?: (server: Server) => Pick<NonNullable<UpstreamView['outlier']>, 'detected' | 'enforced'> | undefined;
  /** With a circuit_breaker block: the pending queue (requests waiting for a free slot). */
  readonly queue?: { readonly length: number; readonly overflowed: number; readonly timedOut: number };
  /** With retries: retries refused because the retry budget was spent. */
  readonly retryBudgetExhausted?: number;
  /** With retries: retry attempts made, and the retried requests by how they ended (RetryPolicy.retries). */
  readonly retries?: { readonly retried: number; readonly succeeded: number; readonly failed: number };
  /** With sticky: the session table's entries, and the sessions re-pinned to another server so far, by reason. */
  readonly sticky?: { readonly entries: number; readonly repins: ReadonlyMap<string, number> };
  /** Each attempt's time to the response head (UpstreamRuntime.ttfb). */
  readonly ttfb: LatencyHistogram;
}

/** What the metrics read at scrape time; the caller guarantees each call is cheap and current. */
export interface MetricsSource {
  /** bulwark's version (package.json). */
  readonly version: string;
  readonly clock: Clock;
  /** The running config version (1 at start, +1 per applied reload). */
  configVersion(): number;
  /** Epoch ms when the running config was loaded. */
  loadedAt(): number;
  /** The upstreams of the running config. */
  upstreams(): Iterable<UpstreamView>;
  /** Requests answered per upstream name, by statusClass index (Proxy.answered). */
  answered(): ReadonlyMap<string, readonly number[]>;
  /** Request durations per upstream name, keyed as `answered` (Proxy.durations). */
  durations(): ReadonlyMap<string, LatencyHistogram>;
  /** Client connections open on the proxy listeners (a worker group's: every worker's). */
  openConnections(): Promise<number>;
  /** A worker group's primary: whether any worker has its own `flag` (ejected, circuit_open) set on `s`. */
  readonly workerFlag?: ((s: Server, flag: string) => boolean) | undefined;
  /** metrics.per_server of the running config: false drops every series labelled by server. */
  perServer(): boolean;
  /** The backup sidecar's snapshot runs since start (as the agent reported them); undefined without a backup block. */
  backup(): { readonly ok: number; readonly failed: number; readonly lastSuccessAt: number | undefined } | undefined;
  /** The alert webhooks' delivery counters, totals since start. */
  alerts(): { readonly sent: number; readonly failed: number; readonly dropped: number };
  /** The certificates the TLS listeners serve: listener address, names (comma-separated) and notAfter (epoch ms). */
  readonly certificates?: (() => Iterable<{ readonly listener: string; readonly names: string; readonly notAfter: number }>) | undefined;
}

/**
 * Empties `metric`, then runs `each` for every running server: the series follow the config.
 * With metrics.per_server off, the metric stays empty.
 */
export function rebuildPerServer(metric: { reset(): void }, src: MetricsSource, each: (upstream: string, s: Server) => void): void {
  metric.reset();
  if (!src.perServer()) return;
  for (const u of src.upstreams()) for (const s of u.servers) each(u.name, s);
}

/**
 * A counter per running server, labelled upstream, server and `label`, rebuilt at every
 * scrape: `count` gives each of the server's counts with its `label` value.
 */
export function perServerCounter(registry: Registry, src: MetricsSource, name: string, help: string, label: string, count: (s: Server, add: (value: string, n: number) => void) => void): void {
  new Counter({
    name,
    help,
    labelNames: ['upstream', 'server', label],
    registers: [registry],
    collect() {
      rebuildPerServer(this, src, (u, s) => count(s, (value, n) => this.labels(u, s.name, value).inc(n)));
    },
  });
}
