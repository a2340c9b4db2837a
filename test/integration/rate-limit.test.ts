/**
 * @module test/integration/rate-limit.test
 * A route's rate_limit over real sockets, on a ManualClock so refills happen exactly when
 * the test moves time (no timing assertions): a burst is admitted, then 429 with
 * Retry-After and bulwark's error body, the access log's BLWK_RATE_LIMITED and the
 * bulwark_rate_limited_total counter; keys apart (a header key; without that header a
 * request is not limited); the ip key behind a trusted proxy (X-Forwarded-For); a refilled
 * bucket admits again; a reload that keeps the route's rate_limit keeps its buckets.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.js';
import { ManualClock } from '../helpers/clock.js';
import { useHarness, waitAccess } from '../helpers/harness.js';
import { scrape } from '../helpers/metrics.js';
import { send } from '../helpers/net.js';

function config(originUrl: string, rateLimit: string, top = ''): string {
  return [
    'listen: 127.0.0.1:0',
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: true }',
    top,
    'upstreams:',
    '  web:',
    '    servers:',
    `      - { url: "${originUrl}" }`,
    'routes:',
    '  - match: { path_prefix: /limited/ }',
    '    upstream: web',
    `    rate_limit: ${rateLimit}`,
    '  - upstream: web',
    '',
  ].join('\n');
}

describe('rate_limit', () => {
  const h = useHarness();
  async function setup(rateLimit: string, top = ''): Promise<{ bw: TestBulwark; clock: ManualClock }> {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const clock = new ManualClock(Date.now());
    const bw = await startBulwark(config(origin.url, rateLimit, top), { clock, watch: false });
    h.defer(() => bw.stop(200));
    return { bw, clock };
  }
  const get = (bw: TestBulwark, path: string, headers: Record<string, string> = {}) => send(bw.url, { path, headers });

  it('admits the burst, then answers 429 with Retry-After until the bucket refills', async () => {
    const { bw, clock } = await setup('{ rate: 2/s, burst: 3, key: "header:X-Key" }');
    const key = { 'x-key': 'a' };
    for (let i = 0; i < 3; i++) expect((await get(bw, '/limited/x', key)).status).toBe(200);
    const refused = await get(bw, '/limited/x', key);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1'); // 500 ms to the next token, rounded up
    expect(refused.body.toString()).toMatch(/^429 Too Many Requests: rate limit exceeded; next token in 500 ms\nrequest id: \S+\n$/);
    // The connection stays open, as for a 404: the next request on it is answered (429 again here).
    const conn = await h.raw(bw.port);
    const head = 'GET /limited/x HTTP/1.1\r\nHost: t\r\nX-Key: a\r\nContent-Length: 3\r\n\r\nabc';
    expect((await conn.request(head)).status).toBe(429);
    conn.write(head);
    expect((await conn.waitResponses(2)).map((r) => r.status)).toEqual([429, 429]);
    // Another key has its own bucket; a request without the key is not limited; other routes neither.
    expect((await get(bw, '/limited/x', { 'x-key': 'b' })).status).toBe(200);
    expect((await get(bw, '/limited/x')).status).toBe(200);
    expect((await get(bw, '/other')).status).toBe(200);
    clock.advance(499);
    expect((await get(bw, '/limited/x', key)).status).toBe(429);
    clock.advance(1);
    expect((await get(bw, '/limited/x', key)).status).toBe(200);
    expect((await get(bw, '/limited/x', key)).status).toBe(429);

    const lines = await waitAccess(bw, 12);
    const limited = lines.filter((l) => l['status'] === 429);
    expect(limited).toHaveLength(5);
    expect(limited[0]).toMatchObject({ error: 'BLWK_RATE_LIMITED', upstream: 'web', client: '127.0.0.1' });
    const m = await scrape(bw.adminUrl);
    expect(m.value('bulwark_rate_limited_total', { upstream: 'web' })).toBe(5);
  });

  it('gives Retry-After in whole seconds, rounded up, for slow rates', async () => {
    const { bw, clock } = await setup('{ rate: 6/m, key: ip }');
    expect((await get(bw, '/limited/')).status).toBe(200); // burst defaults to 1 here
    expect((await get(bw, '/limited/')).headers['retry-after']).toBe('10');
    clock.advance(8_500);
    expect((await get(bw, '/limited/')).headers['retry-after']).toBe('2');
  });

  it('keys ip on the client behind a trusted proxy, and on the peer otherwise', async () => {
    const { bw } = await setup('{ rate: 1/m, burst: 1, key: ip }', 'trusted_proxies: [127.0.0.1]');
    const from = (client: string) => ({ 'x-forwarded-for': client });
    expect((await get(bw, '/limited/', from('203.0.113.1'))).status).toBe(200);
    expect((await get(bw, '/limited/', from('203.0.113.1'))).status).toBe(429);
    expect((await get(bw, '/limited/', from('203.0.113.2'))).status).toBe(200);
    const lines = await waitAccess(bw, 3);
    expect(lines.map((l) => l['client'])).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2']);
  });

  it('ignores X-Forwarded-For from an untrusted peer: every request is the peer’s', async () => {
    const { bw } = await setup('{ rate: 1/m, burst: 1, key: ip }');
    expect((await get(bw, '/limited/', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);
    expect((await get(bw, '/limited/', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429);
  });

  it('limits WebSocket handshakes too: 429 with Retry-After, then the connection closes', async () => {
    const { bw } = await setup('{ rate: 1/m, burst: 1, key: ip }');
    expect((await get(bw, '/limited/')).status).toBe(200);
    const conn = await h.raw(bw.port);
    conn.write('GET /limited/ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const [r] = await conn.waitResponses(1);
    expect([r!.status, r!.headers['retry-after']]).toEqual([429, '60']);
    await conn.closed;
    const lines = await waitAccess(bw, 2);
    expect(lines[1]).toMatchObject({ status: 429, error: 'BLWK_RATE_LIMITED', upstream: 'web' });
  });

  it('keeps the buckets across a reload that keeps the route’s rate_limit, and refills them when it changes', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const clock = new ManualClock(Date.now());
    const bw = await startBulwark(config(origin.url, '{ rate: 1/m, burst: 1 }'), { clock, watch: false });
    h.defer(() => bw.stop(200));
    const reload = async (text: string) => {
      await writeFile(bw.configFile, text);
      expect((await send(bw.adminUrl, { method: 'POST', path: '/reload' })).status).toBe(200);
    };
    expect((await get(bw, '/limited/')).status).toBe(200);
    await reload(config(origin.url, '{ rate: 1/m, burst: 1 }', 'log: { level: debug, access: true }').replace('log: { level: info, access: true }\n', ''));
    expect((await get(bw, '/limited/')).status).toBe(429);
    await reload(config(origin.url, '{ rate: 2/m, burst: 1 }'));
    expect((await get(bw, '/limited/')).status).toBe(200);
  });
});
