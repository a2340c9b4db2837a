/**
 * @module test/integration/h2-response-attack.test
 * An upstream answer an HTTP/2 client cannot be given as is: HTTP/1.1 fields that are
 * connection-specific in HTTP/2 (RFC 9113 §8.2.2), which node:http2 refuses to send
 * (it throws), HTTP2-Settings among them (RFC 7540 §3.2.1: a connection option, so
 * hop-by-hop). Each is dropped and the stream answered; a client's HTTP2-Settings never
 * reaches the origin either.
 */
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { h2Request, h2Session, h2c } from '../helpers/h2.js';
import { rawValues, send, withTimeout } from '../helpers/net.js';

const FIELDS = ['HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'Proxy-Connection: keep-alive', 'Keep-Alive: timeout=5', 'Upgrade: h2c', 'TE: gzip', 'Connection: close, X-Hop'];

describe('connection-specific fields in an upstream answer to an HTTP/2 client', () => {
  const h = useHarness();

  it('drops them and answers the stream', async () => {
    const origin = await h.rawOrigin((s) => {
      s.on('data', (d: Buffer) => {
        const i = Number(/^GET \/(\d+)/.exec(d.toString('latin1'))?.[1]);
        s.write(`HTTP/1.1 200 OK\r\n${FIELDS[i]}\r\nX-Hop: 1\r\nX-End: 2\r\ncontent-length: 2\r\n\r\nok`);
      });
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    for (const [i, field] of FIELDS.entries()) {
      const r = await withTimeout(h2Request(s, { ':path': `/${i}` }), 10_000, `the answer with ${field}`);
      const name = field.slice(0, field.indexOf(':')).toLowerCase();
      expect([field, r.status, r.headers[name], r.headers['x-end'], r.body.toString()]).toEqual([field, 200, undefined, '2', 'ok']);
    }
    expect(bw.app.proxy.inFlight).toBe(0);
  });

  it('answers an HTTP/2 client when a field node:http2 takes once comes twice (the first stands)', async () => {
    const twice = ['Content-Type: text/plain', 'Content-Type: text/html', 'Date: Sat, 05 Dec 2026 06:00:00 GMT', 'Date: Sat, 05 Dec 2026 07:00:00 GMT', 'ETag: "a"', 'ETag: "b"', 'Location: /a', 'Location: /b'];
    const origin = await h.rawOrigin((s) => {
      s.on('data', () => void s.write(`HTTP/1.1 200 OK\r\n${twice.join('\r\n')}\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\ncontent-length: 2\r\n\r\nok`));
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const r = await withTimeout(h2Request(await h2Session(h, bw.url), { ':path': '/' }), 10_000, 'the answer');
    expect([r.status, r.headers['content-type'], r.headers['date'], r.headers['etag'], r.headers['location'], r.body.toString()]).toEqual([200, 'text/plain', 'Sat, 05 Dec 2026 06:00:00 GMT', '"a"', '/a', 'ok']);
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('answers 502 when the upstream status is one HTTP/2 cannot carry (600-999), and serves the next stream', async () => {
    const origin = await h.rawOrigin((s) => {
      s.on('data', (d: Buffer) => {
        const odd = d.toString('latin1').startsWith('GET /odd');
        s.write(`HTTP/1.1 ${odd ? '600 Odd' : '200 OK'}\r\ncontent-length: 2\r\n\r\nok`);
      });
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    const r = await withTimeout(h2Request(s, { ':path': '/odd' }), 10_000, 'the answer to a 600 (a stall means the stream was left unanswered)');
    expect(r.status).toBe(502);
    expect(r.body.toString()).not.toContain('127.0.0.1');
    expect((await withTimeout(h2Request(s, { ':path': '/ok' }), 10_000, 'the next stream')).status).toBe(200);
    expect(bw.app.proxy.inFlight).toBe(0);
  });

  it("never forwards a client's HTTP2-Settings", async () => {
    const origin = await h.origin((req, res) => res.end(JSON.stringify(rawValues(req.rawHeaders, 'http2-settings'))));
    const bw = await h.bulwark(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }]));
    expect((await send(bw.url, { path: '/', headers: { 'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA' } })).text).toBe('[]');
  });
});
