/**
 * @module test/integration/admin-request-guard.test
 * Admin requests an attacker makes ambiguous, sent as raw bytes (a client library would
 * fold or refuse them): a second Host (either order), Host with a list or junk, a second
 * Origin or Authorization, absolute-form targets naming another host, carrying userinfo,
 * using another scheme, or disagreeing with Host, each 400; HTTP/2.0 (505), a transfer
 * coding other than chunked (501), Transfer-Encoding on HTTP/1.0 (400), CONNECT (405,
 * not a silent close). None changes anything or leaves the connection open; an
 * absolute-form target naming the admin address itself is served as its path (RFC 9112
 * §3.2.2). And the Bearer scheme is matched case-insensitively with 1*SP after it
 * (RFC 9110 §11.1, §11.4), the token still compared whole and never logged.
 */
import { describe, expect, it } from 'vitest';
import { useHarness, type Harness } from '../helpers/harness.js';
import { withTimeout, type ParsedResponse } from '../helpers/net.js';
import { entries, getStatus, holdOrigins, startApp, webConfig, webServers, type ReloadBulwark } from '../helpers/reload.js';

const TOKEN = 'adm1n-Tok3n.value~/+=';

/** One request as raw bytes on a fresh connection; its response. */
async function raw(h: Harness, port: number, head: string): Promise<ParsedResponse> {
  const c = await h.raw(port);
  return c.request(`${head}\r\n`);
}

async function plain(h: Harness): Promise<ReloadBulwark> {
  return startApp(h, webConfig(entries(await holdOrigins(h, ['a']))), { watch: false });
}

describe('admin listener: ambiguous requests', () => {
  const h = useHarness();

  it('answers 400 to two Host fields, in either order, and changes nothing', async () => {
    const bw = await plain(h);
    const p = bw.adminPort;
    const local = `Host: 127.0.0.1:${p}\r\n`;
    for (const hosts of [`${local}Host: evil.example\r\n`, `Host: evil.example\r\n${local}`, `${local}${local}`, `${local}host: evil.example:${p}\r\n`]) {
      const r = await raw(h, p, `GET /status HTTP/1.1\r\n${hosts}`);
      expect({ hosts, status: r.status }).toEqual({ hosts, status: 400 });
      expect(r.body).toMatch(/more than one Host/);
      expect(r.headers['connection']).toBe('close');
    }
    const r = await raw(h, p, `POST /servers/web/a/disable HTTP/1.1\r\n${local}Host: evil.example\r\nContent-Length: 0\r\n`);
    expect(r.status).toBe(400);
    expect(webServers(await getStatus(bw.adminUrl))['a']).toMatchObject({ available: true, flags: [] });
  });

  it('answers 400 to a Host value that is not host[:port], and to two Origin fields', async () => {
    const bw = await plain(h);
    const p = bw.adminPort;
    for (const host of [`127.0.0.1:${p}, evil.example`, `127.0.0.1:${p} evil.example`, `a@127.0.0.1:${p}`, `127.0.0.1:${p}/x`]) {
      const r = await raw(h, p, `GET /status HTTP/1.1\r\nHost: ${host}\r\n`);
      expect({ host, status: r.status }).toEqual({ host, status: 400 });
    }
    const twoOrigins = `GET /status HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nOrigin: http://127.0.0.1:${p}\r\nOrigin: http://evil.example\r\n`;
    expect((await raw(h, p, twoOrigins)).status).toBe(400);
    // Still fine: one Host naming the admin address.
    expect((await raw(h, p, `GET /status HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n`)).status).toBe(200);
  });

  it('answers 505 to HTTP/2.0, 501 to a coding other than chunked, 400 to Transfer-Encoding on HTTP/1.0, 405 to CONNECT', async () => {
    const bw = await plain(h);
    const p = bw.adminPort;
    const host = `Host: 127.0.0.1:${p}\r\n`;
    const weight = '{"weight": 5}';
    const chunked = `${weight.length.toString(16)}\r\n${weight}\r\n0\r\n\r\n`;
    const cases: Array<[string, number]> = [
      [`GET /status HTTP/2.0\r\n${host}\r\n`, 505],
      [`POST /servers/web/a/weight HTTP/1.1\r\n${host}Transfer-Encoding: gzip, chunked\r\n\r\n${chunked}`, 501],
      [`POST /servers/web/a/weight HTTP/1.0\r\n${host}Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n${chunked}`, 400],
      [`CONNECT 127.0.0.1:${p} HTTP/1.1\r\n${host}\r\n`, 405],
    ];
    for (const [bytes, status] of cases) {
      const c = await h.raw(p);
      c.write(bytes);
      await withTimeout(c.closed, 5000, 'the connection to close'); // answered once, then closed
      const got = c.responses();
      expect({ bytes, got: got.map((r) => r.status) }).toEqual({ bytes, got: [status] });
    }
    expect(webServers(await getStatus(bw.adminUrl))['a']).toMatchObject({ weight: 1, override: null });
  });

  it('refuses absolute-form targets naming another host, with userinfo or another scheme; serves its own', async () => {
    const bw = await plain(h);
    const p = bw.adminPort;
    const host = `Host: 127.0.0.1:${p}\r\n`;
    const cases: Array<[string, string, number]> = [
      [`http://evil.example/status`, host, 400],
      [`http://evil.example:${p}/status`, host, 400],
      [`http://127.0.0.1/status`, host, 400], // port 80: not the Host's port
      [`http://127.0.0.1:${p}@evil.example/status`, host, 400],
      [`http://evil@127.0.0.1:${p}/status`, host, 400],
      [`https://127.0.0.1:${p}/status`, host, 400],
      [`ftp://127.0.0.1:${p}/status`, host, 400],
      [`http://evil.example:${p}/status`, `Host: evil.example:${p}\r\n`, 403],
      [`http://127.0.0.1:${p}/status`, host, 200],
      [`HTTP://LOCALHOST:${p}/status?x=1`, `Host: localhost:${p}\r\n`, 200],
    ];
    for (const [target, hostLine, status] of cases) {
      const r = await raw(h, p, `GET ${target} HTTP/1.1\r\n${hostLine}`);
      expect({ target, status: r.status }).toEqual({ target, status });
      if (status === 200) expect(JSON.parse(r.body)).toHaveProperty('upstreams');
    }
    const r = await raw(h, p, `POST http://evil.example/servers/web/a/drain HTTP/1.1\r\n${host}Content-Length: 0\r\n`);
    expect(r.status).toBe(400);
    expect(webServers(await getStatus(bw.adminUrl))['a']).toMatchObject({ available: true, flags: [] });
  });

  it('accepts the Bearer scheme in any case with 1*SP; refuses two Authorization fields; never logs the token', async () => {
    const origins = await holdOrigins(h, ['a']);
    const admin = 'listen: 127.0.0.1:0, token_env: TEST_TOKEN';
    const bw = await startApp(h, webConfig(entries(origins), { admin }), { watch: false, env: { TEST_TOKEN: TOKEN } });
    const p = bw.adminPort;
    const get = (auth: string): Promise<ParsedResponse> => raw(h, p, `GET /status HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth}`);
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      for (const sp of [' ', '   ']) {
        const auth = `Authorization: ${scheme}${sp}${TOKEN}\r\n`;
        expect({ auth, status: (await get(auth)).status }).toEqual({ auth, status: 200 });
      }
    }
    for (const value of [`Bearer${TOKEN}`, `Bearer\t${TOKEN}`, `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN} x`, `Bearers ${TOKEN}`, `Basic ${TOKEN}`, 'bearer ']) {
      const r = await get(`Authorization: ${value}\r\n`);
      expect({ value, status: r.status }).toEqual({ value, status: 401 });
      expect(r.body).not.toContain(TOKEN);
    }
    // Node keeps only the first of two Authorization fields; another parser may read the second.
    for (const two of [`Authorization: Bearer ${TOKEN}\r\nAuthorization: Bearer x\r\n`, `Authorization: Bearer x\r\nAuthorization: Bearer ${TOKEN}\r\n`]) {
      const r = await get(two);
      expect(r.status).toBe(400);
      expect(r.body).not.toContain(TOKEN);
    }
    const drain = await raw(h, p, `POST /servers/web/a/drain HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: bearer  ${TOKEN}\r\nContent-Length: 0\r\n`);
    expect(drain.status).toBe(200);
    expect(webServers(await getStatus(bw.adminUrl, { authorization: `Bearer ${TOKEN}` }))['a']).toMatchObject({ flags: ['draining'] });
    for (const line of bw.logs) expect(JSON.stringify(line)).not.toContain(TOKEN);
  });
});
