/**
 * @module admin/metrics/latency
 * Request and upstream latency histograms. The proxy observes into plain bucket arrays
 * (core/latency) on the request path; these histograms only read them at scrape time.
 * prom-client's Histogram has no way to set bucket counts, so the method its Registry
 * renders from is overridden to report the arrays in its format: one `_bucket` series per bound (cumulative, as the
 * exposition format requires), then `_sum` and `_count`, in seconds.
 */
import { Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, type LatencyHistogram } from '../../core/latency.js';
import type { MetricsSource } from './source.js';

type Read = (src: MetricsSource) => Iterable<readonly [string, LatencyHistogram]>;

/** The type parameter names `le` for the bucket series' labels; it is not a label name given to prom-client. */
class PlainHistogram extends Histogram<'upstream' | 'le'> {
  readonly #name: string;
  readonly #help: string;
  readonly #read: () => Iterable<readonly [string, LatencyHistogram]>;

  constructor(registry: Registry, name: string, help: string, read: () => Iterable<readonly [string, LatencyHistogram]>) {
    super({ name, help, labelNames: ['upstream'], buckets: [...LATENCY_BUCKETS], registers: [registry] });
    this.#name = name;
    this.#help = help;
    this.#read = read;
  }

  /**
   * prom-client's Registry renders a histogram from this (its get() splays `sharedLabels`
   * into `labels` for the JSON form): the shape its own buckets take, filled from the arrays.
   */
  async getForPromString(): ReturnType<Histogram<'upstream' | 'le'>['get']> {
    const name = this.#name;
    const values: Array<{ metricName: string; labels: { upstream: string }; sharedLabels: { le?: number | string }; value: number }> = [];
    for (const [upstream, h] of this.#read()) {
      let cumulative = 0;
      for (let i = 0; i < h.counts.length; i++) {
        cumulative += h.counts[i]!;
        const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf';
        values.push({ metricName: `${name}_bucket`, labels: { upstream }, sharedLabels: { le }, value: cumulative });
      }
      values.push({ metricName: `${name}_sum`, labels: { upstream }, sharedLabels: {}, value: h.sumMs / 1000 });
      values.push({ metricName: `${name}_count`, labels: { upstream }, sharedLabels: {}, value: h.count });
    }
    return { name, help: this.#help, type: 'histogram', aggregator: 'sum', values } as unknown as Awaited<ReturnType<Histogram<'upstream' | 'le'>['get']>>;
  }
}

const reads: Record<string, [string, Read]> = {
  bulwark_request_duration_seconds: [
    'How long requests took, from their head to the last byte of the response, by upstream ("" when no route matched). WebSocket tunnels are not counted.',
    (src) => src.durations(),
  ],
  bulwark_upstream_response_seconds: [
    'Time to the response head of each attempt sent to a server of the upstream, from its dispatch (waiting for a pooled connection and connecting included).',
    (src) => [...src.upstreams()].map((u) => [u.name, u.ttfb] as const),
  ],
};

export function latencyMetrics(registry: Registry, src: MetricsSource): void {
  for (const [name, [help, read]] of Object.entries(reads)) new PlainHistogram(registry, name, help, () => read(src));
}
