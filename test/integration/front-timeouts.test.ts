/**
 * @module test/integration/front-timeouts.test
 * Slow clients are cut: a half-sent head after about front.timeouts.headers, a stalled body
 * after about front.timeouts.request, an idle keep-alive connection after about
 * front.timeouts.keep_alive. Bounds are generous hang guards, never timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, useHarness } from '../helpers/harness.js';
import { withTimeout } from '../helpers/net.js';

const CUT_WITHIN = 3000;

describe('front timeouts', () => {
  const h = useHarness();

  it('cuts a client that sends half a request head and stalls (408)', async () => {
    const { origin, bw } = await h.proxied(echoHandler, { top: 'front: { timeouts: { headers: 300ms } }' });
    const conn = await h.raw(bw.port);
    conn.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await withTimeout(conn.closed, CUT_WITHIN, 'the stalled connection to be cut');
    expect(conn.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(origin.requests).toHaveLength(0);
  });

  it('cuts a client that trickles its head byte by byte past the headers timeout', async () => {
    const { bw } = await h.proxied(echoHandler, { top: 'front: { timeouts: { headers: 300ms } }' });
    const conn = await h.raw(bw.port);
    const head = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const timer = setInterval(() => {
      if (i < head.length && !conn.isClosed) conn.write(head[i++]!);
    }, 20);
    h.defer(() => clearInterval(timer));
    await withTimeout(conn.closed, CUT_WITHIN, 'the trickling connection to be cut');
    expect(i).toBeLessThan(head.length);
  });

  it('cuts a client that stalls in the middle of its body (front.timeouts.request)', async () => {
    const { bw } = await h.proxied(echoHandler, { top: 'front: { timeouts: { headers: 200ms, request: 400ms } }' });
    const conn = await h.raw(bw.port);
    conn.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    await withTimeout(conn.closed, CUT_WITHIN, 'the stalled upload to be cut');
    expect(conn.data).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('closes an idle keep-alive connection (front.timeouts.keep_alive)', async () => {
    const { bw } = await h.proxied(echoHandler, { top: 'front: { timeouts: { keep_alive: 300ms } }' });
    const conn = await h.raw(bw.port);
    const r = await conn.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.status).toBe(200);
    await withTimeout(conn.closed, CUT_WITHIN, 'the idle keep-alive connection to be closed');
  });

  it('does not cut a client that sends its head promptly', async () => {
    const { bw } = await h.proxied(echoHandler, { top: 'front: { timeouts: { headers: 300ms } }' });
    const conn = await h.raw(bw.port);
    const r = await conn.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.status).toBe(200);
  });
});
