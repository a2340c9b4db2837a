/**
 * @module test/integration/admin-api-access.test
 * Who can reach the admin API: the Host/Origin guard (403 unless they name the admin
 * address by IP literal or localhost), the Bearer token from admin.token_env (401 with
 * WWW-Authenticate without it or with a wrong one; never logged), the config rules around
 * the token (a non-loopback admin.listen needs token_env: `bulwark validate` exits 1; an
 * unset variable: `bulwark start` exits 1), and that nothing of it answers on the proxy
 * listener.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tempConfig } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';
import { adminPost, entries, getStatus, holdOrigins, startApp, webConfig, webServers, type ReloadBulwark } from '../helpers/reload.js';

const TOKEN = 's3cret-admin-token';
const UNSET = 'BULWARK_TEST_TOKEN_NEVER_SET';

describe('admin API access control', () => {
  const h = useHarness();

  beforeAll(() => {
    assertBuilt();
    expect(process.env[UNSET]).toBeUndefined();
  });

  /** Origin "a" behind bulwark, not watching its file. */
  async function plain(): Promise<ReloadBulwark> {
    return startApp(h, webConfig(entries(await holdOrigins(h, ['a']))), { watch: false });
  }

  it('accepts Host 127.0.0.1:PORT and localhost:PORT; refuses another host, port or Origin with 403', async () => {
    const bw = await plain();
    const p = bw.adminPort;
    const status = async (headers: Record<string, string>, method = 'GET', path = '/status') => (await send(bw.adminUrl, { method, path, headers })).status;
    expect(await status({ host: `127.0.0.1:${p}` })).toBe(200);
    expect(await status({ host: `localhost:${p}` })).toBe(200);
    expect(await status({ host: `LOCALHOST:${p}` })).toBe(200);
    expect(await status({ host: `evil.example:${p}` })).toBe(403);
    expect(await status({ host: 'evil.example' })).toBe(403);
    expect(await status({ host: `127.0.0.2:${p}` })).toBe(403);
    expect(await status({ host: `127.0.0.1:${p + 1}` })).toBe(403);
    expect(await status({ host: `127.0.0.1:${p}`, origin: 'http://evil.example' })).toBe(403);
    expect(await status({ host: `127.0.0.1:${p}`, origin: `http://evil.example:${p}` })).toBe(403);
    expect(await status({ host: `127.0.0.1:${p}`, origin: `http://127.0.0.1:${p}` })).toBe(200);
    expect(await status({ host: `127.0.0.1:${p}`, origin: `http://localhost:${p}` })).toBe(200);
    // A refused change changes nothing.
    expect(await status({ host: `evil.example:${p}` }, 'POST', '/servers/web/a/disable')).toBe(403);
    expect(await status({ host: `127.0.0.1:${p}`, origin: 'http://evil.example' }, 'POST', '/servers/web/a/drain')).toBe(403);
    expect(webServers(await getStatus(bw.adminUrl))['a']).toMatchObject({ available: true, flags: [] });
  });

  it('requires the Bearer token from admin.token_env, and never logs it', async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    const admin = 'listen: 127.0.0.1:0, token_env: TEST_TOKEN';
    const bw = await startApp(h, webConfig(entries(origins), { admin }), { watch: false, env: { TEST_TOKEN: TOKEN } });
    const auth = (value?: string) => (value === undefined ? {} : { authorization: value });

    for (const value of [undefined, 'Bearer nope', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const r = await send(bw.adminUrl, { path: '/status', headers: auth(value) });
      expect({ value, status: r.status }).toEqual({ value, status: 401 });
      expect(r.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(r.text).not.toContain(TOKEN);
    }
    // Without the token nothing changes; with it, everything works.
    expect((await adminPost(bw.adminUrl, '/servers/web/a/drain')).status).toBe(401);
    expect((await adminPost(bw.adminUrl, '/reload')).status).toBe(401);
    // The fleet endpoints too: the token is checked before the path (with or without fleet:).
    expect((await adminPost(bw.adminUrl, '/fleet/config')).status).toBe(401);
    expect((await send(bw.adminUrl, { path: '/fleet/snapshot' })).status).toBe(401);
    const ok = auth(`Bearer ${TOKEN}`);
    const doc = await getStatus(bw.adminUrl, ok);
    expect(doc.config.version).toBe(1);
    expect(webServers(doc)['a']).toMatchObject({ flags: [] });
    expect((await adminPost(bw.adminUrl, '/servers/web/a/drain', undefined, ok)).status).toBe(200);
    expect((await adminPost(bw.adminUrl, '/servers/web/a/enable', undefined, ok)).status).toBe(200);
    await bw.save(webConfig(entries(origins.slice(1)), { admin }));
    const reload = await adminPost(bw.adminUrl, '/reload', undefined, ok);
    expect(JSON.parse(reload.text)).toMatchObject({ result: 'applied', version: 2 });
    // Also a rejected reload: its errors quote the file, which names only the variable.
    await bw.save(webConfig(entries(origins.slice(1)), { admin: `${admin}, tokn: x` }));
    expect((await adminPost(bw.adminUrl, '/reload', undefined, ok)).status).toBe(400);

    expect(bw.logs.map((l) => l['event'])).toEqual(expect.arrayContaining(['started', 'server_flag_set', 'config_reloaded', 'config_rejected']));
    for (const line of bw.logs) expect(JSON.stringify(line)).not.toContain(TOKEN);
  });

  it('refuses to start when token_env names an unset or empty variable', async () => {
    const origins = await holdOrigins(h, ['a']);
    const yaml = webConfig(entries(origins), { admin: 'listen: 127.0.0.1:0, token_env: TEST_TOKEN' });
    await expect(startApp(h, yaml, { env: {} })).rejects.toThrow(/admin\.token_env names TEST_TOKEN, which is not set or empty/);
    await expect(startApp(h, yaml, { env: { TEST_TOKEN: '' } })).rejects.toThrow(/admin\.token_env names TEST_TOKEN, which is not set or empty/);
  });

  it('`bulwark validate` rejects a non-loopback admin.listen without admin.token_env', async () => {
    const file = await tempConfig(h, webConfig([{ name: 'a', url: 'http://127.0.0.1:1' }], { admin: 'listen: 0.0.0.0:0' }));
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2:`);
    expect(r.stderr).toMatch(/admin\.token_env: is required when admin\.listen is not a loopback address \(0\.0\.0\.0:0\)/);
  });

  it('`bulwark start` exits 1 with a clear message when the token variable is unset', async () => {
    const file = await tempConfig(h, webConfig([{ name: 'a', url: 'http://127.0.0.1:1' }], { admin: `listen: 0.0.0.0:0, token_env: ${UNSET}` }));
    expect((await runCli(['validate', '-c', file])).code).toBe(0);
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`admin.token_env names ${UNSET}, which is not set or empty: refusing to start without the admin token`);
    expect(r.stdout).not.toMatch(/"event":"started"/);
  });

  it('is never reachable through the proxy listener', async () => {
    const bw = await plain();
    for (const [method, path] of [
      ['GET', '/status'],
      ['GET', '/healthz'],
      ['POST', '/reload'],
      ['POST', '/servers/web/a/disable'],
      ['POST', '/servers/web/a/weight'],
    ] as const) {
      const r = await send(bw.url, { method, path, body: path.endsWith('weight') ? '{"weight": 9}' : undefined });
      expect({ method, path, status: r.status, text: r.text, from: r.headers['x-origin'] }).toEqual({ method, path, status: 200, text: 'a', from: 'a' });
    }
    expect((await getStatus(bw.adminUrl)).config.version).toBe(1);
    // Without a route for it: bulwark's own 404, still not the admin API.
    const text = await readFile(bw.configFile, 'utf8');
    await bw.save(text.replace('  - upstream: web', '  - match: { path_prefix: /api/ }\n    upstream: web'));
    expect(JSON.parse((await adminPost(bw.adminUrl, '/reload')).text)).toMatchObject({ result: 'applied' });
    const r = await send(bw.url, { path: '/status' });
    expect(r.status).toBe(404);
    expect(r.text).not.toMatch(/"upstreams"|"config"/);
    const doc = await getStatus(bw.adminUrl);
    expect(webServers(doc)['a']).toMatchObject({ available: true, flags: [], weight: 1, override: null });
  });
});
