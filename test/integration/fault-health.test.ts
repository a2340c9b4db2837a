/**
 * @module test/integration/fault-health.test
 * Active health checks as seen from the origin and their effects: checks run on their own
 * `Connection: close` connections (proxied traffic uses keep-alive ones) and stop with the
 * App; backup servers take traffic only while every primary is down and give it back when
 * one recovers; slow start ramps a recovered server's weight up over time.
 */
import { describe, expect, it } from 'vitest';
import { HEALTH_PATH, type ChaosOrigin } from '../helpers/chaos-origin.js';
import { FAST_CHECKS, chaosOrigins, ftBulwark, serverOf, sleep, waitFlag, webStatus } from '../helpers/fault.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

describe('active health checks', () => {
  const h = useHarness();

  it('use connections of their own (Connection: close, bulwark-health-check); proxied traffic uses keep-alive', async () => {
    const [o] = await chaosOrigins(h, ['a']);
    const bw = await ftBulwark(h, [o!], { health_check: FAST_CHECKS });
    const client = h.client(bw.url);
    for (let i = 0; i < 5; i++) {
      const r = await client.request({ path: `/p${i}`, method: 'GET' });
      expect(await r.body.text()).toBe('a');
    }
    await waitFor(() => o!.count(HEALTH_PATH) >= 3, 3000, 'three health checks');

    const checks = o!.log.filter((r) => r.path === HEALTH_PATH);
    const proxied = o!.log.filter((r) => r.path !== HEALTH_PATH);
    for (const c of checks) expect(c.headers).toMatchObject({ connection: 'close', 'user-agent': 'bulwark-health-check' });
    expect(new Set(checks.map((c) => c.conn)).size).toBe(checks.length); // one connection per check
    expect(proxied).toHaveLength(5);
    for (const p of proxied) expect(p.headers['connection']).toBe('keep-alive');
    const proxiedConns = new Set(proxied.map((p) => p.conn));
    expect(proxiedConns.size).toBe(1); // sequential requests reuse one pooled connection
    expect(checks.some((c) => proxiedConns.has(c.conn))).toBe(false);
  });

  it.each([
    ['never answers (timeout)', (o: ChaosOrigin) => o.stall(), 'timeout after 100ms'],
    ['answers /healthz with 503', (o: ChaosOrigin) => o.healthz({ kind: 'error', status: 503 }), 'HTTP 503 (expected 200-399)'],
    ['resets the connection', (o: ChaosOrigin) => o.reset(), 'reset ECONNRESET'],
  ] as const)('mark a server down that %s', async (_what, breakIt, detail) => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const bw = await ftBulwark(h, [a!, b!], { health_check: FAST_CHECKS });
    breakIt(b!);
    await waitFlag(bw, 'b', 'failed_health_check');
    expect(serverOf(bw, 'b').flags.get('failed_health_check')!.reason).toBe(`3 consecutive check failures: ${detail}`);
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).text).toBe('a');
  });

  it('stop when the App stops', async () => {
    const [o] = await chaosOrigins(h, ['a']);
    const bw = await ftBulwark(h, [o!], { health_check: FAST_CHECKS });
    await waitFor(() => o!.count(HEALTH_PATH) >= 2, 3000, 'two health checks');
    await bw.stop(100);
    const after = o!.count(HEALTH_PATH);
    await sleep(500); // five intervals
    expect(o!.count(HEALTH_PATH)).toBe(after);
  });

  it('backup servers take traffic only while every primary is down, and give it back when one recovers', async () => {
    const [a, b, k] = await chaosOrigins(h, ['a', 'b', 'k']);
    const bw = await ftBulwark(h, [a!, b!, { origin: k!, backup: true }], { health_check: FAST_CHECKS });
    const who = async (n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await send(bw.url)).text);
      return out;
    };
    expect(new Set(await who(6))).toEqual(new Set(['a', 'b']));
    expect(k!.proxied).toBe(0);
    expect(k!.count(HEALTH_PATH)).toBeGreaterThan(0); // backups are checked too

    await a!.kill();
    await waitFlag(bw, 'a', 'failed_health_check');
    expect(await who(4)).toEqual(['b', 'b', 'b', 'b']); // one primary left: still no backup
    expect(k!.proxied).toBe(0);

    await b!.kill();
    await waitFlag(bw, 'b', 'failed_health_check');
    expect(await who(4)).toEqual(['k', 'k', 'k', 'k']);
    const status = await webStatus(bw);
    expect(status.servers.map((s) => [s.name, s.available])).toEqual([['a', false], ['b', false], ['k', true]]);

    await b!.restore();
    await waitFlag(bw, 'b', 'failed_health_check', false);
    const backupBefore = k!.proxied;
    expect(await who(4)).toEqual(['b', 'b', 'b', 'b']);
    expect(k!.proxied).toBe(backupBefore);
  });

  it('slow start ramps a recovered server up from a small weight to its full weight', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    // Checks that tolerate a loaded machine: a check failing mid-ramp would restart the ramp.
    const bw = await ftBulwark(h, [{ origin: a!, weight: 10 }, { origin: b!, weight: 10 }], {
      scheduler: 'weighted',
      slow_start: '2s',
      health_check: { ...FAST_CHECKS, interval: '1s', timeout: '1s' },
    });
    const server = serverOf(bw, 'b');
    expect(server.weight).toBe(10); // available at start: no ramp
    await b!.kill();
    await waitFlag(bw, 'b', 'failed_health_check');

    // Every weight b takes, with the time since its ramp began on bulwark's clock: the first
    // is set as the flag clears, each later one as slow start refreshes the server set.
    let start = NaN;
    const steps: Array<[number, number]> = [];
    server.onFlagChange((c) => {
      if (c.flag !== 'failed_health_check' || c.set) return;
      start = c.at;
      // Slow start's own listener set the weight first, reading its clock a moment after
      // c.at (later still on a busy machine): stamp the step with that moment, not 0.
      steps.push([Date.now() - start, server.weight]);
    });
    const set = bw.app.proxy.state.upstreams.get('web')!.servers;
    const refresh = set.refresh.bind(set);
    set.refresh = () => {
      refresh();
      if (!Number.isNaN(start) && server.weight !== steps.at(-1)?.[1]) steps.push([Date.now() - start, server.weight]);
    };
    // Which server each request went to, and b's weight at that moment.
    const picks: Array<[string, number]> = [];
    bw.app.proxy.state.upstreams.get('web')!.observers.push({ onAttemptStart: (s) => void picks.push([s.name, server.weight]) });

    await b!.restore();
    await waitFlag(bw, 'b', 'failed_health_check', false);
    // Traffic through the ramp, from 4 clients at once.
    const loop = async (): Promise<void> => {
      while (server.weight < 10) expect((await send(bw.url)).status).toBe(200);
    };
    await Promise.all([loop(), loop(), loop(), loop()]);

    const ws = steps.map(([, w]) => w);
    // The floor, one step's share (100 ms of 2 s) of 10, plus what the clock moved before
    // the weight was set (exactly 0.5 on an idle machine; 0.52 seen beside busy loops).
    expect(ws[0]).toBeGreaterThanOrEqual(0.5);
    expect(ws[0]).toBeLessThan(2);
    for (let i = 1; i < ws.length; i++) expect(ws[i]).toBeGreaterThan(ws[i - 1]!); // only ever up
    expect(ws.filter((w) => w > 0.5 && w < 10).length).toBeGreaterThanOrEqual(3); // in steps, not at once
    // Never ahead of the plan (floor + linear over 2 s); late steps on a busy machine only lag.
    for (const [t, w] of steps) expect(w).toBeLessThanOrEqual(10 * (0.05 + (0.95 * t) / 2000) + 1e-9);
    expect(steps.at(-1)).toEqual([expect.any(Number), 10]);
    expect(steps.at(-1)![0]).toBeGreaterThanOrEqual(1999); // full weight only once the 2 s are up
    expect((await webStatus(bw)).servers.find((s) => s.name === 'b')!.weight).toBe(10);
    // Traffic followed the ramp: b got the share its weight gave it at each pick (a's is
    // 10), give or take the smooth rotation's few picks, i.e. well under half early on.
    const ramp = picks.filter(([, w]) => w < 10);
    expect(ramp.length).toBeGreaterThanOrEqual(20);
    const expected = ramp.reduce((sum, [, w]) => sum + w / (10 + w), 0);
    expect(ramp.filter(([n]) => n === 'b').length).toBeLessThanOrEqual(expected + 3);
    const early = ramp.filter(([, w]) => w < 4);
    expect(early.filter(([n]) => n === 'b').length).toBeLessThanOrEqual(early.reduce((sum, [, w]) => sum + w / (10 + w), 0) + 3);
  });
});
