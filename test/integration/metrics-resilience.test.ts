/**
 * @module test/integration/metrics-resilience.test
 * The WebSocket, circuit-trip, per-server outlier, retry and sticky-reason series of
 * /metrics, and `metrics.per_server`, each scraped after real traffic through bulwark, real
 * failures (origins answering errors or killed) and real reloads of the config file: a
 * reload that removes a server removes its series.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ChaosOrigin } from '../helpers/chaos-origin.js';
import { chaosOrigins, FAST_CHECKS, ftConfig } from '../helpers/fault.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { scrape, waitScrape, type Scrape } from '../helpers/metrics.js';
import { send, waitFor } from '../helpers/net.js';
import { startApp, waitVersion, webConfig, type ReloadBulwark } from '../helpers/reload.js';

const WEB = { upstream: 'web' };
const A = { upstream: 'web', server: 'a' };
const B = { upstream: 'web', server: 'b' };

/** A WebSocket echo origin; kill() cuts its tunnels and closes it (also done after the test). */
async function wsOrigin(h: Harness): Promise<{ url: string; kill(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(String(d))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let killed: Promise<void> | undefined;
  const kill = (): Promise<void> =>
    (killed ??= (async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    })());
  h.defer(kill);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, kill };
}

function openWs(h: Harness, url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  h.defer(async () => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends GETs (up to 50) until `done` holds of a scrape taken after each. */
async function sendUntil(bw: ReloadBulwark, done: (m: Scrape) => boolean, what: string, headers: Record<string, string> = {}): Promise<Scrape> {
  for (let i = 0; i < 50; i++) {
    await send(bw.url, { headers });
    const m = await scrape(bw.adminUrl);
    if (done(m)) return m;
  }
  throw new Error(`50 requests and still not ${what}`);
}

describe('GET /metrics: tunnels, resilience and per_server', () => {
  const h = useHarness();

  it('counts open WebSocket tunnels per upstream; a closed one and a killed origin take theirs away', async () => {
    const origin = await wsOrigin(h);
    const bw = await startApp(h, webConfig([{ name: 'a', url: origin.url }]), { watch: false });
    expect((await scrape(bw.adminUrl)).value('bulwark_websocket_tunnels', WEB)).toBe(0);
    const ws = `ws://127.0.0.1:${bw.port}/chat`;
    const first = await openWs(h, ws);
    await openWs(h, ws);
    // bulwark counts a tunnel before it forwards the 101 that opened it.
    expect((await scrape(bw.adminUrl)).value('bulwark_websocket_tunnels', WEB)).toBe(2);
    first.close();
    await waitScrape(bw.adminUrl, (m) => m.value('bulwark_websocket_tunnels', WEB) === 1, 'one tunnel left');
    await origin.kill();
    await waitScrape(bw.adminUrl, (m) => m.value('bulwark_websocket_tunnels', WEB) === 0, 'no tunnel left');
  });

  it('counts circuit trips per server (closed to open only), and a reload that removes the server removes them', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.error(500);
    const breaker = { error_rate: '50%', min_requests: 4, window: '10s', open_for: '300ms', half_open_probes: 1 };
    const yaml = (servers: ChaosOrigin[]): string => ftConfig(servers, { scheduler: 'round-robin', circuit_breaker: breaker });
    const bw = await startApp(h, yaml([a!, b!]));
    const state = (m: Scrape): number => m.value('bulwark_circuit_state', A);
    let m = await sendUntil(bw, (s) => state(s) === 1, "a's circuit open");
    expect(m.value('bulwark_circuit_trips_total', A)).toBe(1);
    expect(m.value('bulwark_circuit_trips_total', B)).toBe(0);
    // Half-open, a's probe fails: the circuit opens again, which is no new trip.
    await waitScrape(bw.adminUrl, (s) => state(s) === 2, 'a half-open');
    m = await sendUntil(bw, (s) => state(s) === 1, "a's failed probe");
    expect(m.value('bulwark_circuit_trips_total', A)).toBe(1);
    // a recovers: its probe closes the circuit; failing again trips it a second time.
    a!.answer();
    await waitScrape(bw.adminUrl, (s) => state(s) === 2, 'a half-open again');
    await sendUntil(bw, (s) => state(s) === 0, "a's circuit closed");
    a!.error(500);
    m = await sendUntil(bw, (s) => state(s) === 1, "a's circuit open again");
    expect(m.value('bulwark_circuit_trips_total', A)).toBe(2);

    await bw.save(yaml([b!]), 'rename');
    await waitVersion(bw.adminUrl, 2);
    m = await scrape(bw.adminUrl);
    expect(m.samples.filter((s) => s.labels['server'] === 'a')).toEqual([]);
    expect(m.value('bulwark_circuit_trips_total', B)).toBe(0);
  });

  it('counts outlier ejections per server, and a reload that removes the server removes them', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.error(503);
    const outlier = { consecutive_5xx: 3, base_ejection_time: '60s', max_ejection_time: '60s', jitter: '0%' };
    const yaml = (servers: ChaosOrigin[]): string => ftConfig(servers, { scheduler: 'round-robin', outlier_detection: outlier });
    const bw = await startApp(h, yaml([a!, b!]));
    const m = await sendUntil(bw, (s) => s.value('bulwark_outlier_ejections_active', WEB) === 1, 'a ejected');
    for (const kind of ['detected', 'enforced']) {
      expect(m.value('bulwark_outlier_ejections_total', { ...A, kind, reason: 'consecutive_5xx' })).toBe(1);
      expect(m.value('bulwark_outlier_ejections_total', { ...B, kind, reason: 'consecutive_5xx' })).toBe(0);
      expect(m.value('bulwark_outlier_ejections_total', { ...A, kind, reason: 'consecutive_gateway_failures' })).toBe(0);
    }
    expect(m.value('bulwark_server_flag', { ...A, flag: 'ejected' })).toBe(1);

    await bw.save(yaml([b!]), 'rename');
    await waitVersion(bw.adminUrl, 2);
    const r = await scrape(bw.adminUrl);
    expect(r.samples.filter((s) => s.labels['server'] === 'a')).toEqual([]);
    expect(r.series('bulwark_outlier_ejections_total', B)).toHaveLength(4);
    expect(r.value('bulwark_outlier_ejections_active', WEB)).toBe(0);
  });

  it('counts retries by result per upstream, and each server\'s retries in /status and GET /servers', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.error(503);
    const bw = await startApp(h, ftConfig([a!, b!], { scheduler: 'round-robin', retries: { attempts: 1, budget: '100%' } }), { watch: false });
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).status).toBe(200);
    let m = await scrape(bw.adminUrl);
    // Every request that went to a first was retried on b, which answered.
    const onA = m.value('bulwark_upstream_requests_total', { ...A, code: '5xx' });
    expect(onA).toBeGreaterThan(0);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'retried' })).toBe(onA);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'succeeded' })).toBe(onA);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'failed' })).toBe(0);
    const server = async (name: string): Promise<Record<string, unknown>> => JSON.parse((await send(bw.adminUrl, { path: `/servers/web/${name}` })).text) as Record<string, unknown>;
    expect((await server('b'))['retries']).toBe(onA);
    expect((await server('a'))['retries']).toBe(0);
    const status = JSON.parse((await send(bw.adminUrl, { path: '/status' })).text) as { upstreams: Array<{ servers: Array<Record<string, unknown>> }> };
    expect(status.upstreams[0]!.servers.map((s) => [s['name'], s['retries']])).toEqual([['a', 0], ['b', onA]]);

    // Both fail: each request is retried on the other server and still ends in a 503.
    b!.error(503);
    for (let i = 0; i < 2; i++) expect((await send(bw.url)).status).toBe(503);
    m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'retried' })).toBe(onA + 2);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'succeeded' })).toBe(onA);
    expect(m.value('bulwark_retries_total', { ...WEB, result: 'failed' })).toBe(2);
  });

  it('counts sticky re-pins by reason: a failed server retried elsewhere, and a server a reload removed', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const yaml = (servers: ChaosOrigin[]): string =>
      ftConfig(servers, { scheduler: 'round-robin', sticky: { mode: 'header', name: 'x-user-id' }, retries: { attempts: 1, budget: '100%' } });
    const bw = await startApp(h, yaml([a!, b!]));
    const alice = { 'x-user-id': 'alice' };
    const reasons = (m: Scrape): string[] => m.series('bulwark_sticky_reassignments_total').map((s) => `${s.labels['reason']}=${s.value}`).sort();
    expect((await send(bw.url, { headers: alice })).status).toBe(200);
    const home = a!.count() === 1 ? a! : b!;
    const other = home === a ? b! : a!;
    // alice's server answers 503: retried on the other one, which alice is re-pinned to.
    home.error(503);
    expect((await send(bw.url, { headers: alice })).status).toBe(200);
    expect(reasons(await scrape(bw.adminUrl))).toEqual(['server_busy_or_failed=1', 'server_not_in_view=0', 'server_removed=0', 'server_unavailable=0']);
    // A reload removes alice's new server: her next request is re-pinned to the one left.
    home.answer();
    await bw.save(yaml([home]), 'rename');
    await waitVersion(bw.adminUrl, 2);
    expect((await send(bw.url, { headers: alice })).status).toBe(200);
    const m = await scrape(bw.adminUrl);
    expect(reasons(m)).toEqual(['server_busy_or_failed=1', 'server_not_in_view=0', 'server_removed=1', 'server_unavailable=0']);
    expect(m.value('bulwark_sticky_entries', WEB)).toBe(1);
    expect(other.count()).toBe(1);
  });

  it('metrics.per_server: false drops every series labelled by server, and reloads switch it', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    // Every part with per-server series on; a live origin gets a generous check timeout (the machine may be loaded).
    const parts = { scheduler: 'round-robin', circuit_breaker: {}, outlier_detection: {}, health_check: { ...FAST_CHECKS, interval: '1s', timeout: '1s' } };
    const yaml = (perServer: boolean): string => `${ftConfig([a!, b!], parts)}metrics: { per_server: ${perServer} }\n`;
    const bw = await startApp(h, yaml(false));
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).status).toBe(200);
    const servers = bw.app.proxy.state.upstreams.get('web')!.servers.all;
    await waitFor(() => servers.every((s) => s.lastCheck !== undefined), 10_000, 'a health check of each server');
    const off = await scrape(bw.adminUrl);
    expect(off.samples.filter((s) => 'server' in s.labels)).toEqual([]);
    // The per-upstream series stay.
    expect(off.value('bulwark_requests_total', { ...WEB, code: '2xx' })).toBe(4);
    expect(off.value('bulwark_outlier_ejections_active', WEB)).toBe(0);
    expect(off.value('bulwark_websocket_tunnels', WEB)).toBe(0);

    await bw.save(yaml(true), 'rename');
    await waitVersion(bw.adminUrl, 2);
    const on = await scrape(bw.adminUrl);
    for (const s of [A, B]) {
      expect(on.value('bulwark_upstream_requests_total', { ...s, code: '2xx' })).toBe(2);
      expect(on.value('bulwark_circuit_trips_total', s)).toBe(0);
      expect(on.series('bulwark_health_checks_total', s).length).toBeGreaterThan(0);
    }
    await bw.save(yaml(false), 'rename');
    await waitVersion(bw.adminUrl, 3);
    expect((await scrape(bw.adminUrl)).samples.filter((s) => 'server' in s.labels)).toEqual([]);
  });
});
