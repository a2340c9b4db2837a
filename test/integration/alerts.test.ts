/**
 * @module test/integration/alerts
 * Alert webhooks against a real local receiver that fails (500), then hangs (never answers),
 * then recovers: the events are delivered once it recovers, in the order they happened; the
 * hang is cut by the timeout; the proxy serves normally throughout. A tiny queue drops and
 * counts what does not fit; an event that runs out of tries is dropped and counted.
 */
import type http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { systemClock } from '../../src/core/clock.js';
import { Alerts } from '../../src/runtime/alerts/index.js';
import { simpleConfig, startBulwark } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { scrape } from '../helpers/metrics.js';

type Mode = 'fail' | 'hang' | 'ok';

/** A webhook receiver whose behaviour the test switches; it records every body (`bodies`) and those it accepted (`received`). */
function receiver(): { mode: Mode; received: Array<Record<string, unknown>>; bodies: Array<Record<string, unknown>>; hung: number; cut: number; handler: http.RequestListener } {
  const r = {
    mode: 'fail' as Mode,
    received: [] as Array<Record<string, unknown>>,
    bodies: [] as Array<Record<string, unknown>>,
    hung: 0,
    cut: 0,
    handler: ((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        r.bodies.push(JSON.parse(body) as Record<string, unknown>);
        if (r.mode === 'fail') return void res.writeHead(500).end('down');
        if (r.mode === 'hang') {
          r.hung++;
          res.on('close', () => r.cut++);
          return;
        }
        r.received.push(JSON.parse(body) as Record<string, unknown>);
        res.end('ok');
      });
    }) as http.RequestListener,
  };
  return r;
}

/** Two events waiting, one retry, 10 ms apart; a held POST is not cut within the test. */
const TINY = { queue: 2, timeout: 30_000, retries: 1, backoff: 10, max_backoff: 10 };

const admin = (base: string, path: string) => request(`${base}${path}`, { method: 'POST' }).then((r) => r.body.dump().then(() => r.statusCode));

describe('alerts', () => {
  const h = useHarness();

  it('delivers in order after a receiver that failed and hung recovers, while the proxy keeps serving', async () => {
    const rx = receiver();
    const hook = await h.origin(rx.handler);
    const [a, b] = await h.namedOrigins(['a', 'b']);
    const top = `alerts: { webhooks: ["${hook.url}/hook"], queue: 100, timeout: 1s, retries: 100, backoff: 50ms, max_backoff: 200ms }`;
    const yaml = simpleConfig([a!.url, b!.url], { top });
    const bw = await startBulwark(yaml, { watch: false });
    h.defer(() => bw.stop());
    const status = () => bw.app.alerts.status() as { sent: number; failed: number; dropped: number };

    expect(await admin(bw.adminUrl, '/servers/web/web-2/disable')).toBe(200);
    await waitFor(() => status().failed >= 2, 20_000, 'two failed deliveries (500)');
    rx.mode = 'hang';
    await waitFor(() => rx.hung >= 1, 20_000, 'a delivery the receiver holds');
    // The receiver holds the request: the proxy answers as ever.
    const res = await request(bw.url);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('a');
    expect(await admin(bw.adminUrl, '/servers/web/web-2/enable')).toBe(200);
    await writeFile(bw.configFile, `${yaml}bogus: 1\n`);
    expect((await bw.app.reload('api')).result).toBe('rejected');
    const report = JSON.stringify({ ok: false, trigger: 'interval', error: 'ENOSPC: no space left on device' });
    const reported = await request(`${bw.adminUrl}/backup/report`, { method: 'POST', body: report, headers: { 'content-type': 'application/json' } });
    expect((await reported.body.dump(), reported.statusCode)).toBe(200);
    await waitFor(() => rx.cut >= 1, 20_000, 'the held delivery cut by the timeout');
    rx.mode = 'ok';
    await waitFor(() => rx.received.some((e) => e['event'] === 'backup_failed'), 20_000, 'every event delivered');

    // A delivery cut just as it was answered may come twice, and the file watcher may reload
    // (and fail) too: the order in which the events first arrive is what counts.
    const events = rx.received.map((e) => e['event']).filter((e, i, all) => all.indexOf(e) === i);
    expect(events).toEqual(['server_down', 'server_up', 'reload_failed', 'backup_failed']);
    expect(rx.received.find((e) => e['event'] === 'backup_failed')).toMatchObject({ trigger: 'interval', reason: 'ENOSPC: no space left on device' });
    expect(rx.received[0]).toMatchObject({ upstream: 'web', server: 'web-2', flag: 'disabled' });
    expect(typeof rx.received[0]!['at']).toBe('string');
    expect(status().dropped).toBe(0);
    const shown = (await (await request(`${bw.adminUrl}/status`)).body.json()) as { alerts: { sent: number; webhooks: unknown[] } };
    expect(shown.alerts.sent).toBeGreaterThanOrEqual(4);
    expect(shown.alerts.webhooks).toEqual([{ origin: hook.url, queued: 0 }]);
    const m = await scrape(bw.adminUrl);
    // The file watcher's own reload may still add an event: at least what was counted above.
    expect(m.value('bulwark_alerts_total', { result: 'sent' })).toBeGreaterThanOrEqual(4);
    expect(m.value('bulwark_alerts_total', { result: 'failed' })).toBeGreaterThanOrEqual(3);
    expect(m.value('bulwark_alerts_total', { result: 'dropped' })).toBe(0);
  }, 60_000);

  it('drops and counts what overflows a tiny queue, and an event out of tries', async () => {
    const rx = receiver();
    rx.mode = 'hang';
    const hook = await h.origin(rx.handler);
    const alerts = new Alerts(systemClock);
    h.defer(() => alerts.close());
    alerts.configure({ webhooks: [`${hook.url}/`], on: ['reload_failed'], ...TINY });
    for (let i = 0; i < 5; i++) alerts.emit('reload_failed', { n: i, reason: 'x'.repeat(10_000) });
    alerts.emit('server_down', {}); // not selected by `on`: never queued
    expect(alerts.status()).toMatchObject({ dropped: 3, webhooks: [{ queued: 2 }] });
    await waitFor(() => rx.hung === 1, 20_000, 'the first delivery held');
    expect(rx.bodies[0]).toMatchObject({ n: 0, reason: `${'x'.repeat(4096)}…` });
    await alerts.close();

    const failing = new Alerts(systemClock);
    h.defer(() => failing.close());
    const rx500 = receiver();
    const hook500 = await h.origin(rx500.handler);
    failing.configure({ webhooks: [`${hook500.url}/`], on: ['backup_failed'], ...TINY });
    failing.emit('backup_failed', {});
    await waitFor(() => (failing.status() as { dropped: number }).dropped === 1, 20_000, 'the event dropped after 2 tries');
    expect(failing.status()).toMatchObject({ sent: 0, failed: 2, dropped: 1, webhooks: [{ queued: 0 }] });
  }, 60_000);

  it('applies queue and retries from a reload to a kept webhook: a smaller queue drops the newest, no retries drops at the first failure', async () => {
    const rx = receiver();
    rx.mode = 'hang';
    const hook = await h.origin(rx.handler);
    const [a, b] = await h.namedOrigins(['a', 'b']);
    const alertsYaml = (delivery: string) => `alerts: { webhooks: ["${hook.url}/hook"], on: [server_down, server_up], timeout: 1s, backoff: 50ms, ${delivery} }`;
    const yaml = (delivery: string) => simpleConfig([a!.url, b!.url], { top: alertsYaml(delivery) });
    const bw = await startBulwark(yaml('queue: 50, retries: 100'), { watch: false }); // reloads by API
    h.defer(() => bw.stop());
    const status = () => bw.app.alerts.status() as { sent: number; failed: number; dropped: number; webhooks: Array<{ queued: number }> };

    for (let i = 0; i < 3; i++) {
      expect(await admin(bw.adminUrl, '/servers/web/web-2/disable')).toBe(200);
      expect(await admin(bw.adminUrl, '/servers/web/web-2/enable')).toBe(200);
    }
    await waitFor(() => rx.hung >= 1, 20_000, 'the first delivery held');
    expect(status()).toMatchObject({ dropped: 0, webhooks: [{ queued: 6 }] });

    await writeFile(bw.configFile, yaml('queue: 2, retries: 0'));
    expect((await bw.app.reload('api')).result).toBe('applied');
    // The head (in flight) and the next stay; the 4 newest go, counted.
    expect(status()).toMatchObject({ dropped: 4, webhooks: [{ queued: 2 }] });
    // Each held POST is cut by the 1 s timeout and, with no retry left, dropped.
    await waitFor(() => status().dropped === 6, 20_000, 'both held events dropped after one try each');
    expect(status().webhooks).toEqual([{ origin: hook.url, queued: 0 }]);
    expect(rx.bodies.slice(-2).map((e) => e['event'])).toEqual(['server_down', 'server_up']);
    rx.mode = 'ok';
    expect(await admin(bw.adminUrl, '/servers/web/web-2/disable')).toBe(200);
    await waitFor(() => rx.received.length === 1, 20_000, 'the next event delivered');
    expect(rx.received[0]).toMatchObject({ event: 'server_down', server: 'web-2' });
  }, 60_000);

  it('follows a reload: added, it reports a real ejection; removed, it sends nothing more', async () => {
    const rx = receiver();
    rx.mode = 'ok';
    const hook = await h.origin(rx.handler);
    const good = await h.origin((_req, res) => res.end('good'));
    const bad = await h.origin((_req, res) => res.writeHead(500).end('bad'));
    const base = simpleConfig([good.url, bad.url], { upstream: '    outlier_detection: { consecutive_5xx: 1 }' });
    const bw = await startBulwark(base, { watch: false }); // reloads by API
    h.defer(() => bw.stop());
    await writeFile(bw.configFile, `alerts:\n  webhooks: ["${hook.url}/a"]\n  on: [ejected, server_down]\n${base}`);
    expect((await bw.app.reload('api')).result).toBe('applied');

    for (let i = 0; i < 2; i++) await (await request(bw.url)).body.dump();
    await waitFor(() => rx.received.length >= 2, 20_000, 'the ejection alerts');
    expect(rx.received.map((e) => e['event'])).toEqual(['ejected', 'server_down']);
    expect(rx.received[0]).toMatchObject({ upstream: 'web', server: 'web-2', flag: 'ejected' });

    await writeFile(bw.configFile, base);
    expect((await bw.app.reload('api')).result).toBe('applied');
    expect(bw.app.alerts.status()).toMatchObject({ sent: 2, webhooks: [] });
  }, 60_000);
});
