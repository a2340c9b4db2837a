/**
 * @module test/integration/metrics.test
 * GET /metrics on the admin listener, scraped after real traffic through bulwark, a real
 * origin killed under health checks, and real reloads of the config file: every series
 * asserted by its exact value. Also the admin rules on /metrics (token, methods).
 */
import { describe, expect, it } from 'vitest';
import { chaosOrigins, FAST_CHECKS, ftBulwark, serverOf } from '../helpers/fault.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { scrape, waitScrape } from '../helpers/metrics.js';
import { send, waitFor } from '../helpers/net.js';
import type { Origin } from '../helpers/origin.js';
import { adminPost, startApp, waitRejected, waitVersion, webConfig, type ServerEntry } from '../helpers/reload.js';

const TOKEN = 'metrics-admin-token';
// A killed origin refuses at once; a live one gets a generous timeout (the machine may be loaded).
const CHECKS = `    health_check: { ${Object.entries({ ...FAST_CHECKS, interval: '500ms', timeout: '500ms' }).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
const FLAGS = ['failed_health_check', 'ejected', 'circuit_open', 'draining', 'disabled'];
const REASONS = ['server_removed', 'server_unavailable', 'server_busy_or_failed', 'server_not_in_view'];

/** Origins that answer 500 on /fail and 200 with their name otherwise. */
async function origins(h: Harness, names: readonly string[]): Promise<Array<Origin & { name: string }>> {
  return Promise.all(
    names.map(async (name) => {
      const o = await h.origin((req, res) => {
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end(name);
      });
      return Object.assign(o, { name });
    }),
  );
}

describe('GET /metrics', () => {
  const h = useHarness();

  it('counts requests by upstream and class, attempts by server, and gives build, config and process metrics', async () => {
    const [a, b] = await origins(h, ['a', 'b']);
    const bw = await startApp(h, webConfig([a!, b!]), { watch: false, processMetrics: true });
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await send(bw.url, { path: '/fail' })).status).toBe(500);
    // Refused before routing: counted with upstream="".
    expect((await send(bw.url, { method: 'TRACE' })).status).toBe(405);

    const m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_requests_total', { upstream: 'web', code: '2xx' })).toBe(4);
    expect(m.value('bulwark_requests_total', { upstream: 'web', code: '5xx' })).toBe(2);
    expect(m.value('bulwark_requests_total', { upstream: '', code: '4xx' })).toBe(1);
    expect(m.series('bulwark_requests_total')).toHaveLength(3);
    // Round-robin alternates: each server got two of the 200s and one of the 500s.
    for (const server of ['a', 'b']) {
      expect(m.value('bulwark_upstream_requests_total', { upstream: 'web', server, code: '2xx' })).toBe(2);
      expect(m.value('bulwark_upstream_requests_total', { upstream: 'web', server, code: '5xx' })).toBe(1);
      expect(m.value('bulwark_upstream_in_flight', { upstream: 'web', server })).toBe(0);
      expect(m.value('bulwark_server_up', { upstream: 'web', server })).toBe(1);
      expect(m.value('bulwark_server_effective_weight', { upstream: 'web', server })).toBe(1);
      for (const flag of FLAGS) expect(m.value('bulwark_server_flag', { upstream: 'web', server, flag })).toBe(0);
      expect(m.value('bulwark_server_transitions_total', { upstream: 'web', server, to: 'down' })).toBe(0);
    }
    expect(m.series('bulwark_upstream_requests_total')).toHaveLength(4);
    expect(m.value('bulwark_build_info', { version: '0.1.0', node: process.version })).toBe(1);
    expect(m.value('bulwark_config_version')).toBe(1);
    expect(m.value('bulwark_config_reloads_total', { result: 'applied' })).toBe(0);
    expect(m.value('bulwark_config_reloads_total', { result: 'rejected' })).toBe(0);
    expect(m.value('bulwark_config_last_reload_success_timestamp_seconds')).toBe(bw.app.status.loadedAt / 1000);
    expect(m.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(m.series('nodejs_heap_size_used_bytes')).toHaveLength(1);
  });

  it('counts open client connections', async () => {
    const [a] = await origins(h, ['a']);
    const bw = await startApp(h, webConfig([a!]), { watch: false });
    const conn = await h.raw(bw.port);
    await waitScrape(bw.adminUrl, (s) => s.value('bulwark_open_connections') === 1, 'one open connection');
    conn.destroy();
    await waitScrape(bw.adminUrl, (s) => s.value('bulwark_open_connections') === 0, 'no open connection');
  });

  it('shows a killed server down with its flag and transition, and a disabled one by its flag', async () => {
    const [a, b] = await origins(h, ['a', 'b']);
    const bw = await startApp(h, webConfig([a!, b!], { upstream: [CHECKS] }), { watch: false });
    const killedAt = Date.now();
    await b!.close();
    const m = await waitScrape(bw.adminUrl, (s) => s.value('bulwark_server_up', { upstream: 'web', server: 'b' }) === 0, 'b down');
    const b1 = { upstream: 'web', server: 'b' };
    expect(m.value('bulwark_server_flag', { ...b1, flag: 'failed_health_check' })).toBe(1);
    for (const flag of FLAGS.slice(1)) expect(m.value('bulwark_server_flag', { ...b1, flag })).toBe(0);
    expect(m.value('bulwark_server_transitions_total', { ...b1, to: 'down' })).toBe(1);
    expect(m.value('bulwark_server_transitions_total', { ...b1, to: 'up' })).toBe(0);
    expect(m.value('bulwark_server_last_change_timestamp_seconds', b1) * 1000).toBeGreaterThanOrEqual(killedAt);
    expect(m.value('bulwark_server_up', { upstream: 'web', server: 'a' })).toBe(1);
    // Every check counted once by result, and timed: the histogram's count is their sum.
    const checks = m.series('bulwark_health_checks_total');
    expect(checks.map((c) => `${c.labels['server']} ${c.labels['result']}`).sort()).toEqual(['a failed', 'a passed', 'b failed', 'b passed']);
    expect(m.value('bulwark_health_checks_total', { ...b1, result: 'failed' })).toBeGreaterThanOrEqual(FAST_CHECKS.fall);
    expect(m.value('bulwark_health_checks_total', { upstream: 'web', server: 'a', result: 'passed' })).toBeGreaterThan(0);
    const total = checks.reduce((n, c) => n + c.value, 0);
    expect(m.value('bulwark_health_check_duration_seconds_count', { upstream: 'web' })).toBe(total);
    expect(m.value('bulwark_health_check_duration_seconds_bucket', { upstream: 'web', le: '+Inf' })).toBe(total);

    expect((await adminPost(bw.adminUrl, '/servers/web/a/disable')).status).toBe(200);
    const d = await scrape(bw.adminUrl);
    expect(d.value('bulwark_server_up', { upstream: 'web', server: 'a' })).toBe(0);
    expect(d.value('bulwark_server_flag', { upstream: 'web', server: 'a', flag: 'disabled' })).toBe(1);
    expect(d.value('bulwark_server_transitions_total', { upstream: 'web', server: 'a', to: 'down' })).toBe(1);
    expect((await adminPost(bw.adminUrl, '/servers/web/a/enable')).status).toBe(200);
    const e = await scrape(bw.adminUrl);
    expect(e.value('bulwark_server_up', { upstream: 'web', server: 'a' })).toBe(1);
    expect(e.value('bulwark_server_transitions_total', { upstream: 'web', server: 'a', to: 'up' })).toBe(1);
  });

  it('drops the series of a server a reload removes, and counts applied and rejected reloads', async () => {
    const [a, b] = await origins(h, ['a', 'b']);
    const both: ServerEntry[] = [a!, b!];
    const bw = await startApp(h, webConfig(both, { upstream: [CHECKS] }));
    for (let i = 0; i < 2; i++) expect((await send(bw.url)).status).toBe(200);
    const before = await scrape(bw.adminUrl);
    expect(before.series('bulwark_server_up', { server: 'b' })).toHaveLength(1);
    await waitScrape(bw.adminUrl, (s) => s.series('bulwark_health_checks_total', { server: 'b' }).length > 0, "b's health checks");

    const savedAt = Date.now();
    await bw.save(webConfig([a!], { upstream: [CHECKS] }), 'rename');
    await waitVersion(bw.adminUrl, 2);
    const m = await scrape(bw.adminUrl);
    expect(m.samples.filter((s) => s.labels['server'] === 'b')).toEqual([]);
    expect(m.value('bulwark_server_up', { upstream: 'web', server: 'a' })).toBe(1);
    // a is kept by the reload, and so are its counts.
    expect(m.value('bulwark_upstream_requests_total', { upstream: 'web', server: 'a', code: '2xx' })).toBe(1);
    expect(m.value('bulwark_requests_total', { upstream: 'web', code: '2xx' })).toBe(2);
    expect(m.value('bulwark_config_version')).toBe(2);
    // The checker was kept (same settings): still followed, still counting a's checks.
    const passed = m.value('bulwark_health_checks_total', { upstream: 'web', server: 'a', result: 'passed' });
    await waitScrape(bw.adminUrl, (s) => s.value('bulwark_health_checks_total', { upstream: 'web', server: 'a', result: 'passed' }) > passed, "a's checks after the reload");
    expect(m.value('bulwark_config_reloads_total', { result: 'applied' })).toBe(1);
    expect(m.value('bulwark_config_last_reload_success_timestamp_seconds') * 1000).toBeGreaterThanOrEqual(savedAt);

    await bw.save('upstreams: [this is not a config\n', 'rename');
    await waitRejected(bw.adminUrl);
    const r = await scrape(bw.adminUrl);
    expect(r.value('bulwark_config_reloads_total', { result: 'rejected' })).toBe(1);
    expect(r.value('bulwark_config_version')).toBe(2);
    expect(r.value('bulwark_config_last_reload_success_timestamp_seconds')).toBe(m.value('bulwark_config_last_reload_success_timestamp_seconds'));
  });

  it('takes the admin token when one is set, and answers GET and HEAD only', async () => {
    const [a] = await origins(h, ['a']);
    const admin = 'listen: 127.0.0.1:0, token_env: TEST_TOKEN';
    const bw = await startApp(h, webConfig([a!], { admin }), { watch: false, env: { TEST_TOKEN: TOKEN } });
    for (const authorization of [undefined, 'Bearer wrong']) {
      const r = await send(bw.adminUrl, { path: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expect(r.status).toBe(401);
      expect(r.text).not.toContain('bulwark_');
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const m = await scrape(bw.adminUrl, auth);
    expect(m.value('bulwark_config_version')).toBe(1);
    // Without processMetrics, none of the process-wide series.
    expect(m.samples.filter((s) => !s.name.startsWith('bulwark_'))).toEqual([]);
    const head = await send(bw.adminUrl, { path: '/metrics', method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const post = await send(bw.adminUrl, { path: '/metrics', method: 'POST', headers: auth });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('shows outlier ejections, circuit states, the pending queue and the retry budget', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const outlier = { consecutive_5xx: 3, base_ejection_time: '60s', max_ejection_time: '60s', jitter: '0%' };
    const bw = await ftBulwark(h, [a!, b!], { outlier_detection: outlier, circuit_breaker: { max_concurrent: 1, max_pending: 0 }, retries: { attempts: 1, budget: '100%' } });
    let m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_outlier_ejections_active', { upstream: 'web' })).toBe(0);
    expect(m.value('bulwark_retry_budget_exhausted_total', { upstream: 'web' })).toBe(0);
    expect(m.value('bulwark_queue_depth', { upstream: 'web' })).toBe(0);

    // a answers 503 (retried on b, which answers): its third 503 in a row ejects it.
    a!.error(503);
    for (let i = 0; i < 6 && !serverOf(bw, 'a').hasFlag('ejected'); i++) expect((await send(bw.url)).status).toBe(200);
    // b holds the only slot with a stalled request; a is out, so the next one overflows.
    b!.stall();
    const stalled = send(bw.url).catch(() => undefined);
    await waitFor(() => serverOf(bw, 'b').activeRequests === 1, 10_000, "b's slot taken");
    expect((await send(bw.url)).status).toBe(503);

    m = await scrape(bw.adminUrl);
    // Per server: a's ejection, none of b.
    for (const kind of ['detected', 'enforced']) {
      expect(m.value('bulwark_outlier_ejections_total', { upstream: 'web', server: 'a', kind, reason: 'consecutive_5xx' })).toBe(1);
      expect(m.value('bulwark_outlier_ejections_total', { upstream: 'web', server: 'a', kind, reason: 'consecutive_gateway_failures' })).toBe(0);
      expect(m.value('bulwark_outlier_ejections_total', { upstream: 'web', server: 'b', kind, reason: 'consecutive_5xx' })).toBe(0);
    }
    expect(m.value('bulwark_outlier_ejections_active', { upstream: 'web' })).toBe(1);
    expect(m.value('bulwark_server_flag', { upstream: 'web', server: 'a', flag: 'ejected' })).toBe(1);
    expect(m.value('bulwark_upstream_requests_total', { upstream: 'web', server: 'a', code: '5xx' })).toBe(3);
    expect(m.value('bulwark_upstream_in_flight', { upstream: 'web', server: 'b' })).toBe(1);
    expect(m.value('bulwark_queue_rejections_total', { upstream: 'web', reason: 'overflow' })).toBe(1);
    expect(m.value('bulwark_queue_rejections_total', { upstream: 'web', reason: 'timeout' })).toBe(0);
    expect(m.value('bulwark_queue_depth', { upstream: 'web' })).toBe(0);
    expect(m.value('bulwark_requests_total', { upstream: 'web', code: '5xx' })).toBe(1);
    for (const server of ['a', 'b']) expect(m.value('bulwark_circuit_state', { upstream: 'web', server })).toBe(0);
    b!.answer();
    await bw.stop(0);
    await stalled;
  });

  it('shows an open circuit as 1 with its flag, and upstreams without the parts have none of their series', async () => {
    const [a] = await chaosOrigins(h, ['a']);
    a!.error(500);
    const breaker = { error_rate: '50%', min_requests: 4, window: '10s', open_for: '60s' };
    const bw = await ftBulwark(h, [a!], { circuit_breaker: breaker });
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).status).toBe(500);
    const m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_circuit_state', { upstream: 'web', server: 'a' })).toBe(1);
    expect(m.value('bulwark_server_flag', { upstream: 'web', server: 'a', flag: 'circuit_open' })).toBe(1);
    expect(m.value('bulwark_server_up', { upstream: 'web', server: 'a' })).toBe(0);
    expect(m.series('bulwark_outlier_ejections_total')).toEqual([]);
    expect(m.series('bulwark_retry_budget_exhausted_total')).toEqual([]);
  });

  it('counts sticky sessions and their re-pins', async () => {
    const [a, b] = await origins(h, ['a', 'b']);
    const bw = await startApp(h, webConfig([a!, b!], { upstream: ['    sticky: { mode: header, name: x-user-id }'] }), { watch: false });
    const user = { 'x-user-id': 'alice' };
    const home = (await send(bw.url, { headers: user })).text;
    expect((await send(bw.url, { headers: { 'x-user-id': 'bob' } })).status).toBe(200);
    let m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_sticky_entries', { upstream: 'web' })).toBe(2);
    for (const reason of REASONS) expect(m.value('bulwark_sticky_reassignments_total', { upstream: 'web', reason })).toBe(0);

    expect((await adminPost(bw.adminUrl, `/servers/web/${home}/disable`)).status).toBe(200);
    const moved = (await send(bw.url, { headers: user })).text;
    expect(moved).not.toBe(home);
    m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_sticky_entries', { upstream: 'web' })).toBe(2);
    expect(m.value('bulwark_sticky_reassignments_total', { upstream: 'web', reason: 'server_unavailable' })).toBe(1);
    expect(m.value('bulwark_sticky_reassignments_total', { upstream: 'web', reason: 'server_removed' })).toBe(0);
  });
});
