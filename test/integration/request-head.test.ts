/**
 * @module test/integration/request-head.test
 * Request-head validation on exact bytes (raw sockets): a duplicate Host, an invalid Host
 * value, a missing Host on HTTP/1.1 and smuggling-prone framing are refused with 400 before
 * anything reaches an origin; an absolute-form target (RFC 9112 §3.2.2) routes by its
 * authority, and a malformed one gets 400 without harming the process.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simpleConfig, type TestBulwark } from '../helpers/bulwark.js';
import { assertBuilt, CliProcess } from '../helpers/cli.js';
import { echoHandler, routedConfig, useHarness, type Echo } from '../helpers/harness.js';
import { send, withTimeout } from '../helpers/net.js';
import type { Origin } from '../helpers/origin.js';

describe('request head validation and absolute-form targets', () => {
  const h = useHarness();
  let xOrigin: Origin;
  let otherOrigin: Origin;
  let bw: TestBulwark;

  beforeEach(async () => {
    xOrigin = await h.origin(echoHandler);
    otherOrigin = await h.origin(echoHandler);
    bw = await h.bulwark(
      routedConfig({ x: [xOrigin.url], other: [otherOrigin.url] }, [{ host: 'x.example.com', upstream: 'x' }, { upstream: 'other' }]),
    );
  });

  async function rawGet(head: string): Promise<{ status: number; body: string; id: string | undefined }> {
    const conn = await h.raw(bw.port);
    const r = await conn.request(head);
    return { status: r.status, body: r.body, id: r.headers['x-request-id'] };
  }

  function forwarded(): number {
    return xOrigin.requests.length + otherOrigin.requests.length;
  }

  it('answers 400 to a duplicate Host', async () => {
    const r = await rawGet('GET / HTTP/1.1\r\nHost: x.example.com\r\nHost: other.test\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/host/i);
    expect(r.body).toContain(r.id);
    expect(forwarded()).toBe(0);
  });

  it('answers 400 to a duplicate Host even when both values are equal', async () => {
    const r = await rawGet('GET / HTTP/1.1\r\nHost: x.example.com\r\nHost: x.example.com\r\n\r\n');
    expect(r.status).toBe(400);
    expect(forwarded()).toBe(0);
  });

  it.each(['exa mple.com', 'a/b', 'a@b.test', 'x.example.com:80:80'])('answers 400 to the invalid Host %j', async (host) => {
    const r = await rawGet(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(r.status).toBe(400);
    expect(forwarded()).toBe(0);
  });

  it('answers 400 to an HTTP/1.1 request without Host', async () => {
    const r = await rawGet('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n');
    expect(r.status).toBe(400);
    expect(forwarded()).toBe(0);
  });

  it('accepts an HTTP/1.0 request without Host (Host is optional there)', async () => {
    const r = await rawGet('GET /old HTTP/1.0\r\n\r\n');
    expect(r.status).toBe(200);
    expect(otherOrigin.requests).toHaveLength(1);
  });

  it('accepts a host with a port and an IPv6 literal host', async () => {
    expect((await rawGet('GET / HTTP/1.1\r\nHost: x.example.com:8080\r\n\r\n')).status).toBe(200);
    expect((await rawGet('GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n')).status).toBe(200);
    expect(xOrigin.requests).toHaveLength(1);
    expect(otherOrigin.requests).toHaveLength(1);
  });

  it('answers 400 to both Content-Length and Transfer-Encoding (request smuggling)', async () => {
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(r.status).toBe(400);
    expect(forwarded()).toBe(0);
  });

  it('answers 400 to conflicting Content-Length fields', async () => {
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
    expect(r.status).toBe(400);
    expect(forwarded()).toBe(0);
  });

  it('routes an absolute-form target by its authority and sends origin-form upstream', async () => {
    const r = await rawGet('GET http://x.example.com/path?q=1 HTTP/1.1\r\nHost: x.example.com\r\n\r\n');
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body) as Echo;
    expect(echo.url).toBe('/path?q=1');
    expect(xOrigin.requests).toHaveLength(1);
    expect(otherOrigin.requests).toHaveLength(0);
  });

  it('routes an absolute-form target by its authority, not by a different Host header', async () => {
    const r = await rawGet('GET http://x.example.com/path HTTP/1.1\r\nHost: other.test\r\n\r\n');
    expect(r.status).toBe(200);
    expect(xOrigin.requests).toHaveLength(1);
    expect(otherOrigin.requests).toHaveLength(0);
  });

  it('replaces Host with the authority of an absolute-form target (RFC 9112 §3.2.2)', async () => {
    // "A proxy that forwards such a request MUST generate a new Host field value based on
    // the received request-target rather than forward the received Host field value."
    const r = await rawGet('GET http://x.example.com/path HTTP/1.1\r\nHost: other.test\r\n\r\n');
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body) as Echo;
    expect(echo.headers.host).toBe('x.example.com');
    expect(echo.headers['x-forwarded-host']).toBe('x.example.com');
  });
});

describe('malformed absolute-form targets (real process)', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  // Run against the CLI process: a crash must show up as a failed test, not take the test
  // runner down with an uncaught exception.
  it.each(['http://', 'http://[::1/x', 'http://x:99999/'])('answers 400 to "GET %s" and keeps serving', async (target) => {
    const origin = await h.origin();
    const proc = await CliProcess.start(h, simpleConfig([origin.url]));
    const conn = await h.raw(proc.port);
    const r = await conn.request(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`).catch((e: Error) => e);
    if (r instanceof Error) {
      const exit = await withTimeout(proc.exited, 3000, 'bulwark to exit').catch(() => 'still running');
      throw new Error(`no response to "GET ${target}"; bulwark exit: ${JSON.stringify(exit)}; stderr:\n${proc.stderr}`);
    }
    expect(r.status).toBe(400);
    expect((await send(proc.url)).status).toBe(200);
    expect(origin.requests).toHaveLength(1);
  });
});
