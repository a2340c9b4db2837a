/**
 * @module test/unit/health/probe-http.test
 * The http check against real origins on 127.0.0.1: status range, body match, the request
 * it sends (method, path, Host, Connection: close on a fresh socket each time) and how
 * each kind of failure is described (refused, reset, timeout, invalid HTTP, abort).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpProbe } from '../../../src/health/index.js';
import { refusingPort } from '../../helpers/origin.js';
import { advanceAndCheck, checkConfig, checkOnce, closeAll, closed, httpOrigin, nextResult, rig, serverFor, until } from './fixtures.js';

afterEach(closeAll);

describe('http check: status and body', () => {
  it('passes on a status inside expect_status and fails outside it', async () => {
    const codes = [200, 302, 404, 503];
    const origin = await httpOrigin((req, res) => {
      res.statusCode = Number(req.url!.slice(1));
      res.end();
    });
    const details = [];
    for (const code of codes) details.push((await checkOnce(origin.url, checkConfig({ path: `/${code}` }))).detail);
    expect(details).toEqual(['HTTP 200', 'HTTP 302', 'HTTP 404 (expected 200-399)', 'HTTP 503 (expected 200-399)']);
    const narrow = await checkOnce(origin.url, checkConfig({ path: '/302', expect_status: { min: 200, max: 299 } }));
    expect(narrow).toMatchObject({ ok: false, detail: 'HTTP 302 (expected 200-299)' });
    const inclusive = await checkOnce(origin.url, checkConfig({ path: '/404', expect_status: { min: 404, max: 404 } }));
    expect(inclusive).toMatchObject({ ok: true, detail: 'HTTP 404' });
  });

  it('checks expect_body within the first 64 KiB, across chunk boundaries', async () => {
    const origin = await httpOrigin((req, res) => {
      if (req.url === '/split') {
        res.write('status: o');
        setTimeout(() => res.end('k, all good'), 20);
      } else if (req.url === '/late') res.end('x'.repeat(64 * 1024) + 'ok');
      else res.end('nothing to see');
    });
    expect(await checkOnce(origin.url, checkConfig({ path: '/split', expect_body: 'ok, all' }))).toMatchObject({ ok: true, detail: 'HTTP 200' });
    expect(await checkOnce(origin.url, checkConfig({ path: '/', expect_body: 'ok' }))).toMatchObject({ ok: false, detail: 'body does not contain "ok"' });
    expect(await checkOnce(origin.url, checkConfig({ path: '/late', expect_body: 'ok' }))).toMatchObject({ ok: false, detail: 'body does not contain "ok"' });
  });

  it('does not read the body when the status is already wrong', async () => {
    const origin = await httpOrigin((_req, res) => {
      res.writeHead(500);
      res.write('ok'); // never ended
    });
    expect(await checkOnce(origin.url, checkConfig({ expect_body: 'ok' }))).toMatchObject({ ok: false, detail: 'HTTP 500 (expected 200-399)' });
  });
});

describe('http check: the request', () => {
  it('sends the configured method, path and Host (default: the origin host:port)', async () => {
    const origin = await httpOrigin();
    await checkOnce(origin.url, checkConfig({ method: 'OPTIONS', path: '/status?deep=1', host: 'health.example.com' }));
    await checkOnce(origin.url, checkConfig());
    const [custom, plain] = origin.requests;
    expect([custom!.method, custom!.url, custom!.headers.host]).toEqual(['OPTIONS', '/status?deep=1', 'health.example.com']);
    expect([plain!.method, plain!.url, plain!.headers.host]).toEqual(['GET', '/health', `127.0.0.1:${origin.port}`]);
  });

  it('opens a fresh connection with Connection: close for every check', async () => {
    const origin = await httpOrigin();
    const r = rig(origin.url, checkConfig());
    const first = nextResult(r.checker);
    r.checker.start();
    await first;
    await advanceAndCheck(r, 5000);
    await advanceAndCheck(r, 5000);
    expect(origin.requests.map((q) => q.headers.connection)).toEqual(['close', 'close', 'close']);
    expect(new Set(origin.requests.map((q) => q.socket)).size).toBe(3);
    expect(origin.sockets).toHaveLength(3);
    await Promise.all(origin.sockets.map(closed));
  });
});

describe('http check: failures', () => {
  it('describes a refused connection', async () => {
    const port = await refusingPort();
    expect(await checkOnce(`http://127.0.0.1:${port}`, checkConfig())).toMatchObject({ ok: false, detail: 'connect ECONNREFUSED' });
  });

  it('describes a connection reset before the response', async () => {
    const origin = await httpOrigin((req) => req.socket.destroy());
    expect(await checkOnce(origin.url, checkConfig())).toMatchObject({ ok: false, detail: 'reset ECONNRESET' });
  });

  it('times out a stalled server, closing the connection', async () => {
    const origin = await httpOrigin(() => {});
    const result = await checkOnce(origin.url, checkConfig({ timeout: 100 }));
    expect(result).toMatchObject({ ok: false, detail: 'timeout after 100ms' });
    expect(result.durationMs).toBeGreaterThanOrEqual(90);
    await closed(origin.sockets[0]!);
  });

  it('times out a body that stalls before expect_body is seen', async () => {
    const origin = await httpOrigin((_req, res) => res.write('still loading'));
    const result = await checkOnce(origin.url, checkConfig({ timeout: 100, expect_body: 'ok' }));
    expect(result).toMatchObject({ ok: false, detail: 'timeout after 100ms' });
  });

  it('describes a response that is not HTTP', async () => {
    const garbage = net.createServer((s) => s.resume().end('SSH-2.0-OpenSSH\r\n\r\n'));
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    try {
      const result = await checkOnce(`http://127.0.0.1:${(garbage.address() as AddressInfo).port}`, checkConfig());
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/^bad response HPE_/);
    } finally {
      await new Promise<void>((r) => garbage.close(() => r()));
    }
  });

  it('settles an aborted probe with "aborted" and closes its connection', async () => {
    const origin = await httpOrigin(() => {});
    const probe = httpProbe(checkConfig({ timeout: 60_000 }));
    const controller = new AbortController();
    const pending = probe(serverFor(origin.url), controller.signal);
    await until(() => origin.requests.length === 1);
    controller.abort();
    expect(await pending).toEqual({ ok: false, detail: 'aborted' });
    await closed(origin.sockets[0]!);
    expect(await probe(serverFor(origin.url), AbortSignal.abort())).toEqual({ ok: false, detail: 'aborted' });
    expect(await probe(serverFor('not a url'), new AbortController().signal)).toMatchObject({ ok: false });
  });
});
