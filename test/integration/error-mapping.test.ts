/**
 * @module test/integration/error-mapping.test
 * Upstream failures map to the right status: connect refused → 502, no server available
 * → 503, response timeout → 504, an invalid response or a reset before the head → 502.
 * bulwark's own error body is short plain text carrying the request id, which matches the
 * X-Request-Id response header, and nothing else (issue 12 item 14): no server name, flag,
 * upstream name or low-level error code reaches a public client; the access log has them.
 */
import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { disableAll, useHarness, waitAccess } from '../helpers/harness.js';
import { RawConn } from '../helpers/net.js';
import { send, type Reply } from '../helpers/net.js';
import { refusingPort } from '../helpers/origin.js';

/** Asserts bulwark's own error reply shape; returns its request id. */
function expectErrorReply(r: Reply, status: number): string {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^text\/plain/);
  const id = r.headers['x-request-id'];
  expect(typeof id).toBe('string');
  expect(r.text).toBe(`${status} ${STATUS_CODES[status]}\nrequest id: ${id as string}\n`);
  return id as string;
}

describe('upstream error mapping', () => {
  const h = useHarness();

  it('answers 502 when the connection to the server is refused', async () => {
    const bw = await h.bulwark(simpleConfig([`http://127.0.0.1:${await refusingPort()}`]));
    expectErrorReply(await send(bw.url), 502);
  });

  it('answers 502 with the client-sent request id in header and body', async () => {
    const bw = await h.bulwark(simpleConfig([`http://127.0.0.1:${await refusingPort()}`]));
    const id = expectErrorReply(await send(bw.url, { headers: { 'x-request-id': 'trace-me-42' } }), 502);
    expect(id).toBe('trace-me-42');
  });

  it('answers 503 (with Retry-After) when no server is available', async () => {
    const { origin, bw } = await h.proxied();
    disableAll(bw);
    const r = await send(bw.url);
    expectErrorReply(r, 503);
    expect(r.headers['retry-after']).toBeDefined();
    expect(origin.requests).toHaveLength(0);
  });

  it('answers 504 when the server does not answer within timeouts.response', async () => {
    const { origin, bw } = await h.proxied(() => {}, { upstream: '    timeouts: { response: 200ms }' });
    expectErrorReply(await send(bw.url), 504);
    expect(origin.requests).toHaveLength(1);
  });

  it('answers 502 when the server sends bytes that are not HTTP', async () => {
    const garbage = await h.rawOrigin((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n')));
    const bw = await h.bulwark(simpleConfig([garbage.url]));
    expectErrorReply(await send(bw.url), 502);
  });

  it('answers 502 when the server sends an invalid status line', async () => {
    const bad = await h.rawOrigin((s) => s.once('data', () => s.end('HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n')));
    const bw = await h.bulwark(simpleConfig([bad.url]));
    expectErrorReply(await send(bw.url), 502);
  });

  it('answers 502 when the server resets the connection before any response', async () => {
    const reset = await h.rawOrigin((s) => s.once('data', () => s.resetAndDestroy()));
    const bw = await h.bulwark(simpleConfig([reset.url]));
    expectErrorReply(await send(bw.url), 502);
  });

  it('answers 502 when the server closes the connection before any response', async () => {
    const closer = await h.rawOrigin((s) => s.once('data', () => s.end()));
    const bw = await h.bulwark(simpleConfig([closer.url]));
    expectErrorReply(await send(bw.url), 502);
  });

  it('keeps serving after upstream errors (the next request to a good origin succeeds)', async () => {
    const { bw } = await h.proxied((_req, res) => res.end('fine'), { upstream: '    timeouts: { response: 200ms }' });
    disableAll(bw);
    expect((await send(bw.url)).status).toBe(503);
    for (const s of bw.app.proxy.state.upstreams.get('web')!.servers.all) s.clearFlag('disabled', 'test', Date.now());
    const r = await send(bw.url);
    expect(r.status).toBe(200);
    expect(r.text).toBe('fine');
  });

  it('5xx bodies name nothing internal, on plain requests and upgrades; the access log has the detail and a BLWK_ code', async () => {
    const dead = `http://127.0.0.1:${await refusingPort()}`;
    const bw = await h.bulwark(simpleConfig([dead]));
    expectErrorReply(await send(bw.url), 502);
    const ws = await RawConn.open(bw.port);
    h.defer(() => ws.destroy());
    ws.write('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const [up] = await ws.waitResponses(1);
    expect(up!.status).toBe(502);
    expect(up!.body).toBe(`502 Bad Gateway\nrequest id: ${up!.headers['x-request-id'] as string}\n`);
    disableAll(bw);
    expectErrorReply(await send(bw.url), 503);
    const lines = await waitAccess(bw, 3);
    expect(lines.map((l) => l['error'])).toEqual(['BLWK_UPSTREAM_CONNECT', 'BLWK_UPSTREAM_CONNECT', 'BLWK_NO_SERVER']);
    for (const l of lines) expect(l['detail']).toMatch(/web-1|ECONNREFUSED/);
    expect(lines[2]!['detail']).toMatch(/disabled/);
  });
});
