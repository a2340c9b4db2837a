/**
 * @module test/integration/h2-proxy.test
 * HTTP/2 to clients over h2c (prior knowledge): streams go through the same request path as
 * HTTP/1.1 (routing, scheduler, access log) to HTTP/1.1 origins, with the pseudo-headers
 * as the request line and Host (RFC 9113 §8.3.1), bodies both ways under flow control, and
 * response trailers passed on.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { accessLines, echoHandler, routedConfig, sha256, useHarness, waitAccess, type Echo } from '../helpers/harness.js';
import { h2Request, h2Session, h2c } from '../helpers/h2.js';
import { startBulwark } from '../helpers/bulwark.js';
import { rawValues, waitFor } from '../helpers/net.js';

const run = promisify(execFile);

describe('HTTP/2 to clients (h2c)', () => {
  const h = useHarness();

  it('multiplexes streams on one connection to several upstreams; each origin sees HTTP/1.1 with Host from :authority', async () => {
    const seen: Array<{ origin: string; version: string; host: string | undefined; url: string | undefined }> = [];
    const origin = (name: string) => h.origin((req, res) => {
      seen.push({ origin: name, version: req.httpVersion, host: req.headers.host, url: req.url });
      res.end(name);
    });
    const [a1, a2, b1] = await Promise.all([origin('a1'), origin('a2'), origin('b1')]);
    const bw = await h.bulwark(h2c(routedConfig({ a: [a1.url, a2.url], b: [b1.url] }, [{ path_prefix: '/b/', upstream: 'b' }, { upstream: 'a' }])));
    const s = await h2Session(h, bw.url);
    const paths = ['/a/1', '/a/2', '/b/3', '/a/4?q=1', '/b/5', '/a/6'];
    const replies = await Promise.all(paths.map((p) => h2Request(s, { ':path': p, ':authority': 'shop.example:8080' })));
    expect(replies.map((r) => r.status)).toEqual(paths.map(() => 200));
    expect(replies.map((r) => r.body.toString()[0])).toEqual(['a', 'a', 'b', 'a', 'b', 'a']);
    expect(new Set(replies.filter((r) => r.body[0] === 97).map((r) => r.body.toString()))).toEqual(new Set(['a1', 'a2']));
    expect(seen).toHaveLength(6);
    for (const v of seen) expect(v).toMatchObject({ version: '1.1', host: 'shop.example:8080' });
    expect(seen.map((v) => v.url).sort()).toEqual([...paths].sort());
  });

  it('forwards the client fields, joins Cookie crumbs, and sets X-Forwarded-*', async () => {
    const origin = await h.origin(echoHandler);
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    const r = await h2Request(s, { ':path': '/x', ':authority': 'app.test', 'x-custom': 'yes', cookie: ['a=1', 'b=2'], 'x-forwarded-proto': 'https' });
    const echo = JSON.parse(r.body.toString()) as Echo;
    expect(rawValues(echo.rawHeaders, 'host')).toEqual(['app.test']);
    expect(rawValues(echo.rawHeaders, 'cookie')).toEqual(['a=1; b=2']);
    expect(echo.headers['x-custom']).toBe('yes');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe('app.test');
    expect(echo.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1$/);
    expect(echo.rawHeaders.some((n, i) => i % 2 === 0 && n.startsWith(':'))).toBe(false);
    expect(r.headers['x-request-id']).toBe(echo.headers['x-request-id']);
  });

  it('refuses a Host that disagrees with :authority (400), and CONNECT (405), without reaching the origin', async () => {
    let hits = 0;
    const origin = await h.origin((_req, res) => void (hits++, res.end('ok')));
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    const bad = await h2Request(s, { ':path': '/', ':authority': 'a.test', host: 'b.test' });
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('Host header does not match :authority');
    const same = await h2Request(s, { ':path': '/', ':authority': 'a.test', host: 'A.test' });
    expect(same.status).toBe(200);
    const connect = await h2Request(s, { ':method': 'CONNECT', ':authority': 'a.test:443' });
    expect(connect.status).toBe(405);
    expect(hits).toBe(1);
    // The connection still serves after both refusals.
    expect((await h2Request(s, { ':path': '/' })).status).toBe(200);
  });

  it('carries a large upload and a large download with flow control, byte for byte', async () => {
    const down = randomBytes(6 * 1024 * 1024);
    const origin = await h.origin((req, res) => {
      if (req.method === 'GET') return void res.end(down);
      echoHandler(req, res);
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }], { front: { max_body_size: '64mb' } })));
    const s = await h2Session(h, bw.url);
    const up = randomBytes(5 * 1024 * 1024 + 7);
    const [put, got] = await Promise.all([h2Request(s, { ':method': 'PUT', ':path': '/up' }, up), h2Request(s, { ':path': '/down' })]);
    const echo = JSON.parse(put.body.toString()) as Echo;
    expect(echo.length).toBe(up.length);
    expect(echo.sha256).toBe(sha256(up));
    expect(got.body.length).toBe(down.length);
    expect(sha256(got.body)).toBe(sha256(down));
  });

  it('passes the trailers an upstream sends after a chunked body (to HTTP/1.1 clients too)', async () => {
    const origin = await h.origin((_req, res) => {
      res.writeHead(200, { trailer: 'x-checksum' });
      res.write('part one, ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('part two');
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    const r = await h2Request(s, { ':path': '/t', te: 'trailers' });
    expect(r.body.toString()).toBe('part one, part two');
    expect(r.trailers?.['x-checksum']).toBe('abc123');
    // An HTTP/1.1 client gets them in the last chunk.
    const plain = await h.bulwark(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }]));
    const h1 = await h.client(plain.url).request({ path: '/t', method: 'GET', headers: { te: 'trailers' } });
    expect(await h1.body.text()).toBe('part one, part two');
    expect(h1.trailers['x-checksum']).toBe('abc123');
  });

  it('serves curl --http2-prior-knowledge, a download and an upload', async () => {
    const origin = await h.origin(echoHandler);
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-h2-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'up.bin');
    const up = randomBytes(3 * 1024 * 1024);
    await writeFile(file, up);
    const curl = (...args: string[]) => run('curl', ['--http2-prior-knowledge', '-sS', '-w', '\n%{http_version} %{http_code}', ...args], { maxBuffer: 1 << 20 });
    const got = await curl('-H', 'Host: curl.test', `${bw.url}/c?x=1`);
    const [body, meta] = got.stdout.split('\n');
    expect(meta).toBe('2 200');
    expect(JSON.parse(body!)).toMatchObject({ method: 'GET', url: '/c?x=1', headers: { host: 'curl.test' } });
    const put = await curl('--data-binary', `@${file}`, `${bw.url}/up`);
    const echo = JSON.parse(put.stdout.split('\n')[0]!) as Echo;
    expect([echo.method, echo.length, echo.sha256]).toEqual(['POST', up.length, sha256(up)]);
  });

  it('sends GOAWAY on a graceful stop and lets the open stream finish', async () => {
    const origin = await h.origin((_req, res) => void setTimeout(() => res.end('finished'), 400));
    const bw = await startBulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    const slow = h2Request(s, { ':path': '/slow' });
    await waitFor(() => bw.app.proxy.inFlight === 1, 5000, 'the request in flight');
    const goaway = new Promise<void>((r) => s.once('goaway', () => r()));
    const stopped = bw.stop(5000);
    await goaway;
    expect((await slow).body.toString()).toBe('finished');
    expect(await stopped).toBe(true);
  });

  it('answers 308 to https on an h2c listener with redirect_https, from :authority', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = routedConfig({ web: [origin.url] }, [{ upstream: 'web' }]).replace(/^listen: .*$/m, 'listen: [{ address: "127.0.0.1:0", http2: true, redirect_https: 8443 }]');
    const bw = await h.bulwark(yaml);
    const s = await h2Session(h, bw.url);
    const r = await h2Request(s, { ':path': '/x?y=1', ':authority': 'shop.test:8080' });
    expect([r.status, r.headers['location']]).toEqual([308, 'https://shop.test:8443/x?y=1']);
    const post = await h2Request(s, { ':method': 'POST', ':path': '/form', ':authority': 'shop.test', 'content-length': '3' }, 'a=1');
    expect([post.status, post.headers['location']]).toEqual([308, 'https://shop.test:8443/form']);
  });

  it('logs an HTTP/2 request with its protocol', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }])));
    const s = await h2Session(h, bw.url);
    await h2Request(s, { ':path': '/logged?x=1', ':authority': 'log.test' });
    const [line] = await waitAccess(bw, 1);
    expect(line).toMatchObject({ method: 'GET', path: '/logged?x=1', protocol: 'HTTP/2.0', status: 200, upstream: 'web', host: 'log.test' });
    await waitFor(() => accessLines(bw).length === 1);
  });
});
