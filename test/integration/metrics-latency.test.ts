/**
 * @module test/integration/metrics-latency.test
 * The latency histograms on /metrics, after real requests to an origin that waits before
 * its response head and again before its last byte: every request lands in the buckets at
 * or above those waits, the counts match the requests sent, and the series follow reloads.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { scrape, type Scrape } from '../helpers/metrics.js';
import { send } from '../helpers/net.js';
import { startApp, waitVersion, webConfig } from '../helpers/reload.js';

const HEAD_MS = 60;
const BODY_MS = 60;

/** Bucket series of histogram `name` for `upstream`, as a map from `le` to cumulative count. */
function buckets(m: Scrape, name: string, upstream: string): Map<string, number> {
  return new Map(m.series(`${name}_bucket`, { upstream }).map((s) => [s.labels.le!, s.value]));
}

describe('latency histograms on /metrics', () => {
  const h = useHarness();

  it('times each request to its last byte and each attempt to its response head, by upstream', async () => {
    const origin = await h.origin((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        setTimeout(() => res.end('last'), BODY_MS);
      }, HEAD_MS);
    });
    const bw = await startApp(h, webConfig([{ name: 'a', url: origin.url }]), { watch: false });
    const N = 5;
    for (let i = 0; i < N; i++) expect((await send(bw.url)).text).toBe('first last');
    expect((await send(bw.url, { method: 'TRACE' })).status).toBe(405);

    const m = await scrape(bw.adminUrl);
    const total = buckets(m, 'bulwark_request_duration_seconds', 'web');
    // The whole response takes both waits: nothing at or under 100 ms (timers never fire early).
    expect(total.get('0.1')).toBe(0);
    expect(total.get('+Inf')).toBe(N);
    expect(m.value('bulwark_request_duration_seconds_count', { upstream: 'web' })).toBe(N);
    expect(m.value('bulwark_request_duration_seconds_sum', { upstream: 'web' })).toBeGreaterThanOrEqual((N * (HEAD_MS + BODY_MS)) / 1000);
    // Cumulative: never decreasing across the bounds, in order.
    const counts = [...total.values()];
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(total.size).toBe(17);
    // A request answered by bulwark itself is timed under upstream="".
    expect(m.value('bulwark_request_duration_seconds_count', { upstream: '' })).toBe(1);

    const head = buckets(m, 'bulwark_upstream_response_seconds', 'web');
    expect(head.get('0.05')).toBe(0);
    expect(head.get('+Inf')).toBe(N);
    const sum = m.value('bulwark_upstream_response_seconds_sum', { upstream: 'web' });
    expect(sum).toBeGreaterThanOrEqual((N * HEAD_MS) / 1000);
    // Time to the head, not to the last byte: under the whole duration.
    expect(sum).toBeLessThan(m.value('bulwark_request_duration_seconds_sum', { upstream: 'web' }));
  });

  it('keeps an upstream`s histograms across a reload that changes it, and drops the removed upstream`s head times', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await startApp(h, webConfig([{ name: 'a', url: origin.url }]));
    for (let i = 0; i < 3; i++) expect((await send(bw.url)).status).toBe(200);
    // A new server and a new weight: the upstream is rebuilt, its counts carry over.
    await bw.save(webConfig([{ name: 'a', url: origin.url, weight: 2 }, { name: 'b', url: origin.url }]));
    await waitVersion(bw.adminUrl, 2);
    expect((await send(bw.url)).status).toBe(200);
    let m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_upstream_response_seconds_count', { upstream: 'web' })).toBe(4);
    expect(m.value('bulwark_request_duration_seconds_count', { upstream: 'web' })).toBe(4);

    await bw.save(webConfig([{ name: 'a', url: origin.url }]).replaceAll('web', 'api'));
    await waitVersion(bw.adminUrl, 3);
    expect((await send(bw.url)).status).toBe(200);
    m = await scrape(bw.adminUrl);
    expect(m.series('bulwark_upstream_response_seconds_count', { upstream: 'web' })).toHaveLength(0);
    expect(m.value('bulwark_upstream_response_seconds_count', { upstream: 'api' })).toBe(1);
    // Requests already answered stay counted, as bulwark_requests_total keeps them.
    expect(m.value('bulwark_request_duration_seconds_count', { upstream: 'web' })).toBe(4);
  });
});
