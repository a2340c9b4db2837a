/**
 * @module test/integration/access-log-fields.test
 * The access line's client address, Host, bytes in and out, attempts, final server, steer
 * and BLWK_ code, over real connections: the byte counts are exactly what went over the
 * client's raw connection, request by request on one keep-alive connection; a request
 * retried off a dead server logs 2 attempts and the server that answered; a sticky session
 * logs "sticky", then "repin(NAME:disabled)" once its server is disabled. A hostile Host
 * (quotes, backslash, tab, a byte above 0x7f, 12 KB long) cannot break either format: the
 * file holds one valid JSON object, or one combined line with the fields after host intact.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { accessLines, useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';
import { refusingPort } from '../helpers/origin.js';
import { adminPost, HOLD_PATH, holdOrigins } from '../helpers/reload.js';

describe('access log fields', () => {
  const h = useHarness();
  const lines = (bw: Parameters<typeof accessLines>[0], n: number) =>
    waitFor(() => accessLines(bw).length >= n, 20_000, `${n} access line(s)`).then(() => accessLines(bw));

  it('logs client, Host, the exact bytes of each request and response on a keep-alive connection, and attempts', async () => {
    const { bw } = await h.proxied((req, res) => req.resume().on('end', () => res.end('hello')));
    const conn = await h.raw(bw.port);
    const first = 'GET /a HTTP/1.1\r\nHost: shop.example.com\r\n\r\n';
    await conn.request(first);
    const afterFirst = conn.data.length;
    const second = 'POST /b HTTP/1.1\r\nHost: shop.example.com:8080\r\nContent-Length: 11\r\n\r\n';
    conn.write(second + 'hello world');
    await conn.waitResponses(2, 20_000);
    const [a, b] = await lines(bw, 2);
    expect(a).toMatchObject({ client: '127.0.0.1', host: 'shop.example.com', bytes_in: first.length, bytes_out: afterFirst, attempts: 1, server: 'web-1', status: 200 });
    expect(b).toMatchObject({ host: 'shop.example.com:8080', bytes_in: second.length + 11, bytes_out: conn.data.length - afterFirst, attempts: 1 });
    expect(a!['steer']).toBeUndefined();
    expect(a!['error']).toBeUndefined();
    // An HTTP/1.0 request may come without Host.
    const old = await h.raw(bw.port);
    await old.request('GET /c HTTP/1.0\r\n\r\n');
    const [, , c] = await lines(bw, 3);
    expect(c).toMatchObject({ host: null, attempts: 1, client: '127.0.0.1' });
  });

  it('logs 2 attempts and the server that answered for a request retried off a dead server, and 0 for its own answers', async () => {
    const live = await h.origin((_req, res) => res.end('ok'));
    const dead = `http://127.0.0.1:${await refusingPort()}`;
    const bw = await h.bulwark(simpleConfig([dead, live.url], { upstream: '    retries: { attempts: 1, on: [connect-failure] }' }));
    expect((await send(bw.url, { path: '/r' })).status).toBe(200);
    const [line] = await lines(bw, 1);
    expect(line).toMatchObject({ status: 200, attempts: 2, server: 'web-2' });
    expect(line!['error']).toBeUndefined();
    const raw = await h.raw(bw.port);
    expect((await raw.request('GET /a/../../x HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(400);
    const [, refused] = await lines(bw, 2);
    expect(refused).toMatchObject({ status: 400, attempts: 0, server: null, error: 'BLWK_BAD_REQUEST' });
  });

  it('logs what steered a sticky session: nothing before its pin, sticky, then repin with the reason', async () => {
    const [o1, o2] = await h.namedOrigins(['a', 'b']);
    const bw = await h.bulwark(simpleConfig([o1!.url, o2!.url], { upstream: '    sticky: { mode: header, name: x-session }' }));
    const get = async (): Promise<string> => {
      const r = await send(bw.url, { headers: { 'x-session': 's1' } });
      expect(r.status).toBe(200);
      return r.text;
    };
    const pinnedTo = await get();
    expect(await get()).toBe(pinnedTo);
    const pinned = pinnedTo === 'a' ? 'web-1' : 'web-2';
    expect((await adminPost(bw.adminUrl, `/servers/web/${pinned}/disable`)).status).toBe(200);
    expect(await get()).not.toBe(pinnedTo);
    const got = await lines(bw, 3);
    expect(got.map((l) => l['steer'])).toEqual([undefined, 'sticky', `repin(${pinned}:disabled)`]);
    expect(got[2]!['server']).not.toBe(pinned);
  });

  it('logs "queued" for a request that waited for a free server', async () => {
    const [o] = await holdOrigins(h, ['a']);
    const bw = await h.bulwark(simpleConfig([o!.url], { upstream: '    circuit_breaker: { max_concurrent: 1, pending_timeout: 60s }' }));
    const held = send(bw.url, { path: HOLD_PATH });
    await waitFor(() => o!.held() === 1, 20_000, 'the first request held');
    const waiting = send(bw.url, { path: '/next' });
    await waitFor(() => bw.app.proxy.state.upstreams.get('web')!.pending!.length === 1, 20_000, 'the second request queued');
    o!.release();
    expect((await held).status).toBe(200);
    expect((await waiting).status).toBe(200);
    const got = await lines(bw, 2);
    const next = got.find((l) => l['path'] === '/next')!;
    expect(next).toMatchObject({ steer: 'queued', attempts: 1, server: 'web-1' });
    expect(got.find((l) => l['path'] === HOLD_PATH)!['steer']).toBeUndefined();
  });

  it('keeps a hostile Host from breaking either format in the file', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-access-fields-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const hosts = ['a"b\\c', 'tab\there', 'caf\xe9.example', `huge${'"'.repeat(2000)}${'h'.repeat(10_000)}`, 'x", "status": 200, "y": "'];
    for (const format of ['json', 'combined']) {
      const file = join(dir, `${format}.log`);
      const log = `log: { level: info, access: true, access_format: ${format}, access_file: ${file} }`;
      const bw = await h.bulwark(simpleConfig([origin.url]).replace('log: { level: info, access: true }', log));
      for (const host of hosts) {
        const conn = await h.raw(bw.port);
        // Node's parser lets these bytes through in a header value; bulwark refuses the Host (400) and logs it.
        conn.write(Buffer.from(`GET /p HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1'));
        expect((await conn.waitResponses(1, 20_000))[0]!.status).toBe(400);
      }
      await bw.app.logging.flush();
      const text = readFileSync(file);
      const got = text.toString('utf8').split('\n').filter((l) => l !== '');
      expect(got).toHaveLength(hosts.length);
      if (format === 'json') {
        // Node reads header bytes as latin1: the JSON holds exactly the characters sent.
        expect(got.map((l) => (JSON.parse(l) as { host: string }).host)).toEqual(hosts);
        for (const l of got) expect(JSON.parse(l)).toMatchObject({ status: 400, error: 'BLWK_BAD_REQUEST', client: '127.0.0.1', attempts: 0 });
      } else {
        expect([...text].every((byte) => byte === 0x0a || (byte >= 0x20 && byte <= 0x7e))).toBe(true);
        for (const l of got) {
          expect(l).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/p HTTP\/1\.1" 400 - "-" "-" upstream=- server=- duration_ms=\S+ request_id=\S+ host=\S+ bytes_in=\d+ bytes_out=\d+ attempts=0 error=BLWK_BAD_REQUEST detail="invalid Host header"$/);
        }
        expect(got[0]).toContain(' host=a\\x22b\\x5cc ');
        expect(got[1]).toContain(' host=tab\\x09here ');
        expect(got[2]).toContain(' host=caf\\xe9.example ');
      }
    }
  });
});
