/**
 * @module test/integration/hop-by-hop.test
 * RFC 9110 §7.6.1: hop-by-hop fields (the fixed set and every field named in Connection)
 * are removed in both directions; `TE: trailers` survives; a client cannot use Connection
 * to strip the X-Forwarded-For that bulwark adds.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, sendEcho, useHarness } from '../helpers/harness.js';
import { rawValues, send } from '../helpers/net.js';

describe('hop-by-hop headers', () => {
  const h = useHarness();

  it('strips the fixed hop-by-hop fields and the fields named in Connection from the request', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, {
      headers: {
        connection: 'keep-alive, x-secret, X-Other-Secret',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'gzip',
        upgrade: 'foo/1',
        'proxy-authenticate': 'Basic realm="x"',
        'proxy-authorization': 'Basic dXNlcjpwYXNz',
        'x-secret': 'hide me',
        'x-other-secret': 'me too',
        'x-kept': 'yes',
      },
    });
    const names = echo.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const hop of ['keep-alive', 'proxy-connection', 'te', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'x-secret', 'x-other-secret']) {
      expect(names, hop).not.toContain(hop);
    }
    // Whatever Connection the origin sees is undici's own hop, never the client's tokens.
    expect(echo.headers.connection ?? '').not.toMatch(/secret/i);
    expect(echo.headers['x-kept']).toBe('yes');
  });

  it('forwards "TE: trailers" (only the trailers token)', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, { headers: { te: 'trailers, deflate' } });
    expect(rawValues(echo.rawHeaders, 'te')).toEqual(['trailers']);
  });

  it('does not let "Connection: close, X-Forwarded-For" remove the X-Forwarded-For bulwark adds', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, { headers: { connection: 'close, X-Forwarded-For', 'x-forwarded-for': '6.6.6.6' } });
    // The client's own value is hop-by-hop (named in Connection) and dropped; ours stays.
    expect(rawValues(echo.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1']);
  });

  it('does not let Connection remove X-Forwarded-Proto, X-Forwarded-Host or X-Request-Id', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, {
      headers: { host: 'app.test', connection: 'close, x-forwarded-proto, x-forwarded-host, x-request-id' },
    });
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe('app.test');
    expect(echo.headers['x-request-id']).toMatch(/\S/);
  });

  it('strips hop-by-hop fields and the fields named in Connection from the response', async () => {
    const { bw } = await h.proxied((_req, res) => {
      res.setHeader('connection', 'x-internal, X-Also-Internal');
      res.setHeader('x-internal', '1');
      res.setHeader('x-also-internal', '2');
      res.setHeader('keep-alive', 'timeout=99, max=7');
      res.setHeader('proxy-authenticate', 'Basic realm="origin"');
      res.setHeader('proxy-connection', 'keep-alive');
      res.setHeader('upgrade', 'foo/1');
      res.setHeader('x-public', 'kept');
      res.end('body');
    });
    // agent: false sends "Connection: close", so bulwark's own hop adds no Keep-Alive.
    const r = await send(bw.url);
    expect(r.status).toBe(200);
    expect(r.text).toBe('body');
    for (const hop of ['x-internal', 'x-also-internal', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'upgrade']) {
      expect(r.headers[hop], hop).toBeUndefined();
    }
    expect(r.headers.connection ?? '').not.toMatch(/internal/i);
    expect(r.headers['x-public']).toBe('kept');
  });

  it('re-frames a chunked origin response for the client (no stale Transfer-Encoding)', async () => {
    const { bw } = await h.proxied((_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write('a');
      res.end('b');
    });
    const conn = await h.raw(bw.port);
    const r = await conn.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ab');
    // Exactly one Transfer-Encoding (the front's own), never a duplicated "chunked, chunked".
    expect(r.headers['transfer-encoding']).toBe('chunked');
  });

  it('passes the reason phrase of the status line through, custom or standard', async () => {
    const { bw } = await h.proxied((req, res) => {
      if (req.url === '/custom') res.writeHead(200, 'Fine, Thanks', { 'content-length': 2 });
      else res.writeHead(404, { 'content-length': 2 });
      res.end('ok');
    });
    const conn = await h.raw(bw.port);
    conn.write('GET /custom HTTP/1.1\r\nHost: x\r\n\r\nGET /standard HTTP/1.1\r\nHost: x\r\n\r\n');
    await conn.waitResponses(2);
    const statusLines = conn.data.match(/HTTP\/1\.1 [^\r]*/g);
    expect(statusLines).toEqual(['HTTP/1.1 200 Fine, Thanks', 'HTTP/1.1 404 Not Found']);
  });
});
