/**
 * @module test/integration/admin-api.test
 * The runtime admin API over real sockets: drain, disable and enable (flags and override
 * in /status, traffic stops and returns, a drained server's in-flight request finishes),
 * weight (distribution under the weighted scheduler; 400 for a bad weight), 404 for an
 * unknown upstream or server, 405 with Allow for a wrong method (changing nothing), and
 * how long a runtime override lasts: until a config reload changes that server.
 * The config file is not watched here; reloads go through POST /reload.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';
import {
  adminPost,
  entries,
  getStatus,
  HOLD_PATH,
  holdBody,
  holdOrigins,
  startApp,
  tally,
  webConfig,
  webServers,
  type HoldOrigin,
  type ReloadBulwark,
} from '../helpers/reload.js';

describe('admin API: runtime server changes', () => {
  const h = useHarness();

  /** Origins named `names` behind bulwark (not watching its file). */
  async function setup(names: string[], scheduler = 'round-robin'): Promise<{ origins: HoldOrigin[]; bw: ReloadBulwark }> {
    const origins = await holdOrigins(h, names);
    const bw = await startApp(h, webConfig(entries(origins), { scheduler }), { watch: false });
    return { origins, bw };
  }

  const server = async (bw: ReloadBulwark, name: string) => webServers(await getStatus(bw.adminUrl))[name]!;

  it("drain stops new traffic to a server, lets its in-flight request finish; enable brings it back", async () => {
    const { origins, bw } = await setup(['a', 'b']);
    const slow = send(bw.url, { path: HOLD_PATH });
    await waitFor(() => origins.some((o) => o.held() === 1), 3000, 'the held request');
    const victim = origins.find((o) => o.held() === 1)!;
    const other = origins.find((o) => o !== victim)!;

    const r = await adminPost(bw.adminUrl, `/servers/web/${victim.name}/drain`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ upstream: 'web', server: victim.name, available: false, flags: ['draining'], override: { state: 'drain' } });
    expect(await server(bw, victim.name)).toMatchObject({ available: false, flags: ['draining'], override: { state: 'drain' }, active_requests: 1 });
    expect(await tally(bw.url, 10)).toEqual({ [other.name]: 10 });

    victim.release();
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(holdBody(victim.name));

    const e = await adminPost(bw.adminUrl, `/servers/web/${victim.name}/enable`);
    expect(e.status).toBe(200);
    expect(await server(bw, victim.name)).toMatchObject({ available: true, flags: [], override: null, active_requests: 0 });
    expect(await tally(bw.url, 10)).toEqual({ a: 5, b: 5 });
  });

  it('disable takes a server out, drain replaces disable, enable clears both', async () => {
    const { bw } = await setup(['a', 'b']);
    expect((await adminPost(bw.adminUrl, '/servers/web/a/disable')).status).toBe(200);
    expect(await server(bw, 'a')).toMatchObject({ available: false, flags: ['disabled'], override: { state: 'disable' } });
    expect(await tally(bw.url, 6)).toEqual({ b: 6 });
    expect((await adminPost(bw.adminUrl, '/servers/web/a/drain')).status).toBe(200);
    expect(await server(bw, 'a')).toMatchObject({ flags: ['draining'], override: { state: 'drain' } });
    expect((await adminPost(bw.adminUrl, '/servers/web/a/enable')).status).toBe(200);
    expect(await server(bw, 'a')).toMatchObject({ available: true, flags: [], override: null });
    expect(await tally(bw.url, 6)).toEqual({ a: 3, b: 3 });
  });

  it('weight changes the weighted distribution; a bad weight is 400 and changes nothing', async () => {
    const { bw } = await setup(['a', 'b'], 'weighted');
    expect(await tally(bw.url, 10)).toEqual({ a: 5, b: 5 });
    for (const body of [{ weight: 0 }, { weight: 1001 }, { weight: 1.5 }, { weight: '3' }, { weight: null }, {}, [3], 'not json', '']) {
      const r = await adminPost(bw.adminUrl, '/servers/web/a/weight', body);
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(JSON.parse(r.text)).toEqual({ error: expect.any(String) });
    }
    expect(await server(bw, 'a')).toMatchObject({ weight: 1, override: null });

    const r = await adminPost(bw.adminUrl, '/servers/web/a/weight', { weight: 3 });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ server: 'a', weight: 3, override: { weight: 3 } });
    expect(await server(bw, 'a')).toMatchObject({ weight: 3, override: { weight: 3 }, available: true });
    expect(await tally(bw.url, 40)).toEqual({ a: 30, b: 10 });
  });

  it('answers 404 for an unknown upstream or server', async () => {
    const { bw } = await setup(['a']);
    for (const [path, body, error] of [
      ['/servers/nope/a/drain', undefined, /no upstream "nope"/],
      ['/servers/web/zz/disable', undefined, /no server "zz" in upstream "web"/],
      ['/servers/web/zz/enable', undefined, /no server "zz"/],
      ['/servers/nope/a/weight', { weight: 2 }, /no upstream "nope"/],
      ['/servers/web/zz/weight', { weight: 2 }, /no server "zz"/],
    ] as const) {
      const r = await adminPost(bw.adminUrl, path, body);
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(JSON.parse(r.text).error).toMatch(error);
    }
    expect(await server(bw, 'a')).toMatchObject({ available: true, flags: [], weight: 1, override: null });
  });

  it('answers 405 with Allow to the wrong method and changes nothing', async () => {
    const { origins, bw } = await setup(['a', 'b']);
    // A valid new file is waiting: only a POST /reload may apply it.
    await bw.save(webConfig(entries(origins.slice(0, 1))));
    for (const path of ['/reload', '/servers/web/a/drain', '/servers/web/a/disable', '/servers/web/a/enable', '/servers/web/a/weight']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const r = await send(bw.adminUrl, { method, path, body: path.endsWith('weight') ? '{"weight": 5}' : undefined });
        expect({ method, path, status: r.status, allow: r.headers['allow'] }).toEqual({ method, path, status: 405, allow: 'POST' });
      }
    }
    const post = await send(bw.adminUrl, { method: 'POST', path: '/status', body: '{}' });
    expect({ status: post.status, allow: post.headers['allow'] }).toEqual({ status: 405, allow: 'GET, HEAD' });
    const doc = await getStatus(bw.adminUrl);
    expect(doc.config.version).toBe(1);
    expect(webServers(doc)['a']).toMatchObject({ available: true, flags: [], weight: 1, override: null });
    expect(Object.keys(webServers(doc))).toEqual(['a', 'b']);

    const r = await adminPost(bw.adminUrl, '/reload');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ result: 'applied', trigger: 'api', version: 2 });
  });

  it('keeps a runtime override until a config change touches that server', async () => {
    const { origins, bw } = await setup(['a', 'b', 'c'], 'weighted');
    const [a, b, c] = origins as [HoldOrigin, HoldOrigin, HoldOrigin];
    for (const [path, body] of [
      ['/servers/web/a/weight', { weight: 7 }],
      ['/servers/web/b/drain', undefined],
      ['/servers/web/c/weight', { weight: 4 }],
    ] as const) {
      expect((await adminPost(bw.adminUrl, path, body)).status).toBe(200);
    }
    let s = webServers(await getStatus(bw.adminUrl));
    expect(s['a']).toMatchObject({ weight: 7, override: { weight: 7 } });
    expect(s['b']).toMatchObject({ flags: ['draining'], override: { state: 'drain' } });
    expect(s['c']).toMatchObject({ weight: 4, override: { weight: 4 } });

    // The file changes a's weight: a's override ends; b and c are untouched and keep theirs.
    await bw.save(webConfig([{ name: 'a', url: a.url, weight: 2 }, { name: 'b', url: b.url }, { name: 'c', url: c.url }], { scheduler: 'weighted' }));
    expect(JSON.parse((await adminPost(bw.adminUrl, '/reload')).text)).toMatchObject({ result: 'applied', version: 2 });
    s = webServers(await getStatus(bw.adminUrl));
    expect(s['a']).toMatchObject({ weight: 2, override: null });
    expect(s['b']).toMatchObject({ flags: ['draining'], available: false, override: { state: 'drain' } });
    expect(s['c']).toMatchObject({ weight: 4, override: { weight: 4 } });
    expect(await tally(bw.url, 60)).toEqual({ a: 20, c: 40 });

    // Then c's weight changes in the file: its override ends too; b still keeps its own.
    await bw.save(webConfig([{ name: 'a', url: a.url, weight: 2 }, { name: 'b', url: b.url }, { name: 'c', url: c.url, weight: 3 }], { scheduler: 'weighted' }));
    expect(JSON.parse((await adminPost(bw.adminUrl, '/reload')).text)).toMatchObject({ result: 'applied', version: 3 });
    s = webServers(await getStatus(bw.adminUrl));
    expect(s['c']).toMatchObject({ weight: 3, override: null });
    expect(s['b']).toMatchObject({ flags: ['draining'], override: { state: 'drain' } });
    expect(await tally(bw.url, 50)).toEqual({ a: 20, c: 30 });
  });

  it('ends a drain or disable override when the file changes that server', async () => {
    const { origins, bw } = await setup(['a', 'b', 'c'], 'weighted');
    const [a, b, c] = origins as [HoldOrigin, HoldOrigin, HoldOrigin];
    expect((await adminPost(bw.adminUrl, '/servers/web/b/drain')).status).toBe(200);
    expect((await adminPost(bw.adminUrl, '/servers/web/c/disable')).status).toBe(200);
    await bw.save(webConfig([{ name: 'a', url: a.url }, { name: 'b', url: b.url, weight: 2 }, { name: 'c', url: c.url, weight: 2 }], { scheduler: 'weighted' }));
    expect(JSON.parse((await adminPost(bw.adminUrl, '/reload')).text)).toMatchObject({ result: 'applied', version: 2 });
    // The override is over, so is its effect: b and c are back in rotation at their new weight.
    const s = webServers(await getStatus(bw.adminUrl));
    expect([s['b'], s['c']]).toEqual([
      expect.objectContaining({ weight: 2, override: null, flags: [], available: true }),
      expect.objectContaining({ weight: 2, override: null, flags: [], available: true }),
    ]);
    expect(await tally(bw.url, 50)).toEqual({ a: 10, b: 20, c: 20 });
  });
});
