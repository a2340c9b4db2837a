/**
 * @module test/unit/core/latency.test
 * The plain latency histogram (bucket placement at the bounds) and quantileMs, checked
 * against Prometheus' histogram_quantile rules; then the prom-client rendering of it.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { latencyMetrics } from '../../../src/admin/metrics/latency.js';
import type { MetricsSource } from '../../../src/admin/metrics/source.js';
import { LATENCY_BUCKETS, LatencyHistogram, quantileMs } from '../../../src/core/latency.js';

describe('LatencyHistogram', () => {
  it('puts an observation in the first bucket whose bound it does not exceed (le: less or equal)', () => {
    const h = new LatencyHistogram();
    for (const ms of [0, 0.5, 0.51, 1, 60_000, 60_001]) h.observe(ms);
    expect(h.counts).toHaveLength(LATENCY_BUCKETS.length + 1);
    expect(h.counts[0]).toBe(2); // 0 and exactly 0.5 ms
    expect(h.counts[1]).toBe(2); // 0.51 and exactly 1 ms
    expect(h.counts[LATENCY_BUCKETS.length - 1]).toBe(1); // exactly 60 s
    expect(h.counts[LATENCY_BUCKETS.length]).toBe(1); // above every bound
    expect(h.count).toBe(6);
    expect(h.sumMs).toBeCloseTo(120_003.01, 6);
  });
});

describe('quantileMs', () => {
  const at = (pairs: Record<number, number>): number[] => {
    const c = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    for (const [i, n] of Object.entries(pairs)) c[Number(i)] = n;
    return c;
  };

  it('is NaN with no observations', () => {
    expect(quantileMs(at({}), 0.99)).toBeNaN();
  });

  it('interpolates linearly inside the bucket that holds the rank', () => {
    // 100 observations in (1 ms, 2.5 ms]: the median is half-way through that bucket.
    expect(quantileMs(at({ 2: 100 }), 0.5)).toBeCloseTo(1.75, 9);
    // 99 fast, 1 slow in (100 ms, 250 ms]: p99 is the top of the fast bucket, p99.5 half-way up the slow one.
    expect(quantileMs(at({ 0: 99, 8: 1 }), 0.99)).toBeCloseTo(0.5, 9);
    expect(quantileMs(at({ 0: 99, 8: 1 }), 0.995)).toBeCloseTo(175, 9);
  });

  it('gives the highest bound when the rank is above every bound', () => {
    expect(quantileMs(at({ [LATENCY_BUCKETS.length]: 3 }), 0.99)).toBe(60_000);
  });
});

describe('latency metrics rendering', () => {
  it('renders the plain counts as a Prometheus histogram, text and JSON', async () => {
    const h = new LatencyHistogram();
    h.observe(0.2);
    h.observe(3);
    h.observe(120_000);
    const registry = new Registry();
    const src = { durations: () => new Map([['web', h]]), upstreams: () => [] } as unknown as MetricsSource;
    latencyMetrics(registry, src);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE bulwark_request_duration_seconds histogram');
    expect(text).toContain('bulwark_request_duration_seconds_bucket{upstream="web",le="0.0005"} 1');
    expect(text).toContain('bulwark_request_duration_seconds_bucket{upstream="web",le="0.005"} 2');
    expect(text).toContain('bulwark_request_duration_seconds_bucket{upstream="web",le="60"} 2');
    expect(text).toContain('bulwark_request_duration_seconds_bucket{upstream="web",le="+Inf"} 3');
    expect(text).toMatch(/^bulwark_request_duration_seconds_sum\{upstream="web"\} 120\.003(2|19999)/m);
    expect(text).toContain('bulwark_request_duration_seconds_count{upstream="web"} 3');
    // No upstreams running: the head-time histogram has its HELP and TYPE and no series.
    expect(text).toContain('# TYPE bulwark_upstream_response_seconds histogram');
    expect(text).not.toContain('bulwark_upstream_response_seconds_count');
    const json = await registry.getMetricsAsJSON();
    const d = json.find((m) => m.name === 'bulwark_request_duration_seconds')!;
    expect(d.values).toContainEqual(expect.objectContaining({ metricName: 'bulwark_request_duration_seconds_bucket', labels: { upstream: 'web', le: '+Inf' }, value: 3 }));
  });
});
