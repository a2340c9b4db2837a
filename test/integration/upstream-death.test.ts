/**
 * @module test/integration/upstream-death.test
 * An upstream that dies mid-response must never produce a clean, complete-looking response
 * for the client: with Content-Length or chunked framing, the client sees an error.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { activeRequests, useHarness, waitAccess } from '../helpers/harness.js';
import { send, withTimeout } from '../helpers/net.js';

/** An origin handler that sends a head and part of the body, then kills its connection. */
function dyingHandler(head: http.OutgoingHttpHeaders): http.RequestListener {
  return (req, res) => {
    res.writeHead(200, head);
    res.write('x'.repeat(10));
    setTimeout(() => req.socket.destroy(), 50);
  };
}

const FRAMINGS: Array<[string, http.OutgoingHttpHeaders]> = [
  ['Content-Length', { 'content-length': 100 }],
  ['chunked', { 'transfer-encoding': 'chunked' }],
];

describe('upstream dies mid-response', () => {
  const h = useHarness();

  it.each(FRAMINGS)('node:http client sees an error, not a complete response (%s)', async (_name, head) => {
    const { bw } = await h.proxied(dyingHandler(head));
    await expect(withTimeout(send(bw.url), 3000, 'the truncated response')).rejects.toThrow(/aborted|incomplete|socket hang up|ECONNRESET/);
  });

  it.each(FRAMINGS)('undici client body read fails (%s)', async (_name, head) => {
    const { bw } = await h.proxied(dyingHandler(head));
    const client = h.client(bw.url);
    const r = await client.request({ path: '/', method: 'GET' });
    expect(r.statusCode).toBe(200);
    await expect(withTimeout(r.body.text(), 3000, 'the truncated body')).rejects.toThrow();
  });

  it.each(FRAMINGS)('a raw client never gets a terminated message, the connection is cut (%s)', async (name, head) => {
    const { bw } = await h.proxied(dyingHandler(head));
    const conn = await h.raw(bw.port);
    conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await withTimeout(conn.closed, 3000, 'the client connection to be cut');
    expect(conn.data).toMatch(/^HTTP\/1\.1 200/);
    if (name === 'chunked') expect(conn.data).not.toContain('\r\n0\r\n\r\n');
    else expect(conn.data.length - conn.data.indexOf('\r\n\r\n') - 4).toBeLessThan(100);
  });

  it('logs the failure and releases the server', async () => {
    const { bw } = await h.proxied(dyingHandler({ 'content-length': 100 }));
    await send(bw.url).catch(() => {});
    const [line] = await waitAccess(bw, 1);
    expect(line!['status']).toBe(200);
    expect(line!['error']).toMatch(/\S/);
    expect(activeRequests(bw)).toBe(0);
  });
});
