/**
 * @module test/integration/streaming.test
 * Bodies stream through bulwark in both directions without being buffered: each side sees
 * the first chunk while the other side is still holding the rest back, large bodies
 * arrive byte-exact, and chunked uploads are forwarded.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { echoHandler, sendEcho, sha256, useHarness } from '../helpers/harness.js';
import { deferred, openRequest, send, withTimeout } from '../helpers/net.js';

describe('body streaming', () => {
  const h = useHarness();

  it('forwards the first response chunk while the origin is still holding the rest', async () => {
    const clientGotFirst = deferred();
    const { bw } = await h.proxied((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first|');
      // The rest is only sent once the client has seen the first chunk: a buffering proxy
      // would deadlock here (and the test fail on its guard).
      void clientGotFirst.promise.then(() => res.end('rest'));
    });
    const result = await withTimeout(
      new Promise<{ first: string; completeAtFirst: boolean; all: string }>((resolve, reject) => {
        const req = http.get(`${bw.url}/`, { agent: false }, (res) => {
          let all = '';
          let first: string | undefined;
          let completeAtFirst = true;
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            if (first === undefined) {
              first = c;
              completeAtFirst = res.complete;
              clientGotFirst.resolve();
            }
            all += c;
          });
          res.on('end', () => resolve({ first: first ?? '', completeAtFirst, all }));
          res.on('error', reject);
        });
        req.on('error', reject);
      }),
      3000,
      'the streamed response (a buffering proxy never delivers the first chunk)',
    );
    expect(result.first).toBe('first|');
    expect(result.completeAtFirst).toBe(false);
    expect(result.all).toBe('first|rest');
  });

  it('with front.buffer_requests off, forwards the first request chunk to the origin while the client is still holding the rest', async () => {
    const originGotFirst = deferred<string>();
    const { bw } = await h.proxied((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        if (body === '') originGotFirst.resolve(c);
        body += c;
      });
      req.on('end', () => res.end(`got:${body}`));
    }, { top: 'front: { buffer_requests: false }' });
    const { req, reply } = openRequest(`${bw.url}/upload`, { method: 'POST' });
    req.write('part1|');
    // Only after the origin has the first chunk does the client send the rest.
    void originGotFirst.promise.then(() => req.end('part2'));
    expect(await withTimeout(originGotFirst.promise, 3000, 'the first request chunk at the origin')).toBe('part1|');
    expect((await withTimeout(reply, 3000, 'the reply')).text).toBe('got:part1|part2');
  });

  it('by default reads the whole request body before the origin sees any of it (front.buffer_requests)', async () => {
    let originGotData = false;
    const { origin, bw } = await h.proxied((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => ((originGotData = true), (body += c)));
      req.on('end', () => res.end(`got:${body}`));
    });
    const { req, reply } = openRequest(`${bw.url}/upload`, { method: 'POST' });
    req.write('part1|');
    await new Promise((r) => setTimeout(r, 300));
    expect(origin.requests).toHaveLength(0);
    expect(originGotData).toBe(false);
    req.end('part2');
    expect((await withTimeout(reply, 3000, 'the reply')).text).toBe('got:part1|part2');
  });

  it('delivers a 5 MB upload with Content-Length byte-exact to the origin', async () => {
    const { origin, bw } = await h.proxied(echoHandler);
    const data = randomBytes(5 * 1024 * 1024);
    const { echo } = await sendEcho(bw.url, { method: 'PUT', path: '/big', body: data, headers: { 'content-length': data.length } });
    expect(echo.length).toBe(data.length);
    expect(echo.sha256).toBe(sha256(data));
    expect(origin.requests[0]!.headers['content-length']).toBe(String(data.length));
  });

  it('forwards a chunked upload (no Content-Length) intact', async () => {
    const { bw } = await h.proxied(echoHandler);
    const chunks = [randomBytes(1000), randomBytes(70_000), randomBytes(3)];
    const { req, reply } = openRequest(`${bw.url}/chunked`, { method: 'POST' });
    for (const c of chunks) req.write(c);
    req.end();
    const result = (await reply).text;
    const echo = JSON.parse(result) as { length: number; sha256: string; headers: http.IncomingHttpHeaders };
    expect(echo.headers['transfer-encoding']).toBe('chunked');
    expect(echo.length).toBe(71_003);
    expect(echo.sha256).toBe(sha256(Buffer.concat(chunks)));
  });

  it('delivers a 5 MB download byte-exact', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const { bw } = await h.proxied((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    });
    const r = await send(bw.url);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(data.length));
    expect(sha256(r.body)).toBe(sha256(data));
  });

  it('delivers small bodies of every byte value byte-exact, on one keep-alive connection', async () => {
    // Small whole bodies take a different write path (text with the head): sizes around
    // its limit, and every byte value 0x00-0xff, must come through unchanged.
    const bodies = [0, 1, 255, 256, 4095, 4096, 4097, 20_000].map((n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)));
    const { bw } = await h.proxied((req, res) => {
      const body = bodies[Number(req.url!.slice(1))]!;
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    const conn = await h.raw(bw.port);
    for (const [i, body] of bodies.entries()) {
      conn.write(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const r = (await conn.waitResponses(i + 1))[i]!;
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(body.length));
      expect(Buffer.from(r.body, 'latin1').equals(body)).toBe(true);
    }
  });

  it('answers HEAD with the origin head and no body, and the connection stays usable', async () => {
    const { bw } = await h.proxied((req, res) => {
      res.writeHead(200, { 'content-length': 1234, 'x-method': req.method });
      res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1234));
    });
    const client = h.client(bw.url);
    const head = await client.request({ path: '/', method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('1234');
    expect(await head.body.text()).toBe('');
    const get = await client.request({ path: '/', method: 'GET' });
    expect(get.headers['x-method']).toBe('GET');
    expect((await get.body.text()).length).toBe(1234);
  });
});
