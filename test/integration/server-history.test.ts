/**
 * @module test/integration/server-history.test
 * Per-server history in /status and GET /servers/{upstream}/{server}, over real sockets:
 * a killed origin's failed health check shows in its history with the reason and the check
 * that caused it, its return clears it, only the newest 20 transitions are kept, the
 * one-server endpoint matches the /status entry, requests and errors (5xx and no answer)
 * are counted, and unknown names get a 404 saying which.
 */
import { describe, expect, it } from 'vitest';
import { FAST_CHECKS, chaosOrigins, ftBulwark, ftOf, waitFlag, webStatus } from '../helpers/fault.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

interface Check {
  ok: boolean;
  detail: string;
  duration_ms: number;
  at: string;
}
interface Entry {
  name: string;
  requests: number;
  errors: number;
  effective_weight: number;
  last_check: Check | null;
  history: Array<{ at: string; flag: string; set: boolean; reason: string; check: Check | null }>;
}

async function entry(bw: { adminUrl: string }, upstream: string, server: string): Promise<{ status: number; body: unknown }> {
  const r = await send(bw.adminUrl, { path: `/servers/${upstream}/${server}` });
  return { status: r.status, body: JSON.parse(r.text) as unknown };
}

const statusEntry = async (bw: Parameters<typeof webStatus>[0], name: string): Promise<Entry> =>
  (await webStatus(bw)).servers.find((s) => s.name === name) as unknown as Entry;

describe('per-server history', () => {
  const h = useHarness();

  it('records a killed origin going down with the failing check, and coming back', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const bw = await ftBulwark(h, [a!, b!], { health_check: FAST_CHECKS });
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).status).toBe(200);

    await b!.kill();
    await waitFlag(bw, 'b', 'failed_health_check', true, 10_000);
    const down = await statusEntry(bw, 'b');
    expect(down.history).toHaveLength(1);
    expect(down.history[0]).toMatchObject({ flag: 'failed_health_check', set: true, reason: '3 consecutive check failures: connect ECONNREFUSED' });
    expect(down.history[0]!.check).toMatchObject({ ok: false, detail: 'connect ECONNREFUSED' });
    expect(down.history[0]!.check!.duration_ms).toBeGreaterThanOrEqual(0);
    // The check that caused the transition, not the one before it (checks are 50 ms apart).
    expect(Date.parse(down.history[0]!.check!.at)).toBeGreaterThanOrEqual(Date.parse(down.history[0]!.at));
    expect(down.last_check).toMatchObject({ ok: false, detail: 'connect ECONNREFUSED' });

    await b!.restore();
    await waitFlag(bw, 'b', 'failed_health_check', false, 10_000);
    const up = await statusEntry(bw, 'b');
    expect(up.history).toHaveLength(2); // newest first
    expect(up.history[0]).toMatchObject({ flag: 'failed_health_check', set: false, reason: '2 consecutive checks passed: HTTP 200' });
    expect(up.history[0]!.check).toMatchObject({ ok: true, detail: 'HTTP 200' });
    expect(Date.parse(up.history[0]!.check!.at)).toBeGreaterThanOrEqual(Date.parse(up.history[0]!.at));
    expect(Date.parse(up.history[0]!.at)).toBeGreaterThanOrEqual(Date.parse(up.history[1]!.at));

    // Counters: the four requests before the kill, none of them failed.
    ftOf(bw).health!.stop(); // freeze last_check so the two reads can be compared
    const entries = await webStatus(bw);
    const all = entries.servers as unknown as Entry[];
    expect(all.reduce((n, s) => n + s.requests, 0)).toBe(4);
    expect(all.every((s) => s.errors === 0 && s.effective_weight === 1)).toBe(true);
    const one = await entry(bw, 'web', 'b');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(all.find((s) => s.name === 'b'));
  });

  it('counts requests, and as errors the 5xx answers and the failures without one (not 4xx)', async () => {
    const [a] = await chaosOrigins(h, ['a']);
    const bw = await ftBulwark(h, [a!]);
    const statuses: number[] = [];
    for (const mode of [() => a!.error(500), () => a!.error(404), () => a!.reset(), () => a!.answer()]) {
      mode();
      statuses.push((await send(bw.url)).status);
    }
    expect(statuses).toEqual([500, 404, 502, 200]);
    expect(await statusEntry(bw, 'a')).toMatchObject({ requests: 4, errors: 2 });
  });

  it('keeps the newest 20 transitions', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const bw = await ftBulwark(h, [a!, b!]);
    for (let i = 0; i < 11; i++) {
      for (const action of ['drain', 'enable']) {
        const r = await send(bw.adminUrl, { path: `/servers/web/a/${action}`, method: 'POST' });
        expect(r.status).toBe(200);
      }
    }
    const { history } = await statusEntry(bw, 'a');
    expect(history).toHaveLength(20); // 22 transitions: the first two are gone
    history.forEach((t, i) => expect({ flag: t.flag, set: t.set, check: t.check }).toEqual({ flag: 'draining', set: i % 2 === 1, check: null }));
    expect((await statusEntry(bw, 'b')).history).toEqual([]);
    expect((await statusEntry(bw, 'b')).last_check).toBeNull();
  });

  it('GET /servers/{upstream}/{server}: 404 naming what is unknown, 405 for other methods', async () => {
    const [a] = await chaosOrigins(h, ['a']);
    const bw = await ftBulwark(h, [a!]);
    expect(await entry(bw, 'web', 'zz')).toEqual({ status: 404, body: { error: 'no server "zz" in upstream "web"' } });
    expect(await entry(bw, 'nope', 'a')).toEqual({ status: 404, body: { error: 'no upstream "nope"' } });
    const post = await send(bw.adminUrl, { path: '/servers/web/a', method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    expect((await entry(bw, 'web', 'a')).body).toMatchObject({ name: 'a', history: [], requests: 0, errors: 0 });
  });
});
