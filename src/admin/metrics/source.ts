/**
 * @module admin/metrics/source
 * What the metrics read from the running process; the composition root provides it.
 */
import type { Clock } from '../../core/clock.js';
import type { Server } from '../../core/server.js';

/** One upstream of the running config, as the metrics read it. */
export interface UpstreamView {
  readonly name: string;
  readonly servers: readonly Server[];
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
  /** Client connections open on the proxy listeners. */
  openConnections(): Promise<number>;
}
