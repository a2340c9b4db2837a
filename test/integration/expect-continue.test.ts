/**
 * @module test/integration/expect-continue.test
 * Expect: 100-continue (RFC 9110 §10.1.1): a client that waits for "100 Continue" before
 * sending its body gets it without a stall and the origin receives the body; a body
 * announced over max_body_size is refused with 413 and no 100.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, useHarness, type Echo } from '../helpers/harness.js';
import { openRequest, withTimeout } from '../helpers/net.js';

const LIMITS = { top: 'front: { max_body_size: 1kb }' };

describe('Expect: 100-continue', () => {
  const h = useHarness();

  it('sends 100 Continue to a raw client waiting for it, then forwards the body', async () => {
    const { origin, bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    conn.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const [interim] = await conn.waitResponses(1);
    expect(interim!.status).toBe(100);
    expect(origin.requests).toHaveLength(0); // nothing was forwarded before the body came
    conn.write('hello');
    const all = await conn.waitResponses(2);
    expect(all[1]!.status).toBe(200);
    const echo = JSON.parse(all[1]!.body) as Echo;
    expect(echo.length).toBe(5);
    expect(echo.headers['expect']).toBeUndefined();
  });

  it("works with node:http's own expect flow (the 'continue' event)", async () => {
    const { bw } = await h.proxied(echoHandler, LIMITS);
    const { req, reply } = openRequest(`${bw.url}/upload`, { method: 'POST', headers: { expect: '100-continue', 'content-length': 11 } });
    req.on('continue', () => req.end('hello world'));
    req.flushHeaders();
    const { text } = await withTimeout(reply, 3000, '100 Continue and the reply (a stall means the 100 never came)');
    expect((JSON.parse(text) as Echo).length).toBe(11);
  });

  it('answers 413 without 100 Continue when Content-Length is over max_body_size', async () => {
    const { origin, bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nExpect: 100-continue\r\n\r\n');
    expect(r.status).toBe(413);
    expect(conn.data).not.toMatch(/^HTTP\/1\.1 100/);
    expect(origin.requests).toHaveLength(0);
  });
});
