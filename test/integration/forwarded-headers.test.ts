/**
 * @module test/integration/forwarded-headers.test
 * What the origin learns about the client: X-Forwarded-For is appended to when the peer is a
 * trusted proxy (trusted_proxies) and replaced by the peer otherwise, X-Forwarded-Proto
 * and X-Forwarded-Host are bulwark's own, Host passes through unchanged, and every request
 * carries an X-Request-Id that the client gets back in the response.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, sendEcho, useHarness, waitAccess } from '../helpers/harness.js';
import { simpleConfig } from '../helpers/bulwark.js';
import { rawValues, send } from '../helpers/net.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Forwarded-* and X-Request-Id', () => {
  const h = useHarness();

  const TRUSTED = { top: 'trusted_proxies: [127.0.0.0/8]' };
  it.each([
    ['replaces a client X-Forwarded-For with the peer when the peer is not a trusted proxy', {}, { 'x-forwarded-for': '1.2.3.4' }, '127.0.0.1'],
    ['appends the peer to a trusted proxy’s X-Forwarded-For', TRUSTED, { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4, 127.0.0.1'],
    ['sets X-Forwarded-For to the client address when the client sent none', {}, {}, '127.0.0.1'],
    ['joins a trusted proxy’s several X-Forwarded-For fields in order, then appends', TRUSTED, { 'x-forwarded-for': ['1.2.3.4', '5.6.7.8, 9.9.9.9'] }, '1.2.3.4, 5.6.7.8, 9.9.9.9, 127.0.0.1'],
  ])('%s', async (_name, extra, headers: Record<string, string | string[]>, xff) => {
    const { bw } = await h.proxied(echoHandler, extra);
    const { echo } = await sendEcho(bw.url, { headers });
    expect(rawValues(echo.rawHeaders, 'x-forwarded-for')).toEqual([xff]);
  });

  it('lets no spoofed X-Forwarded-For from an untrusted peer reach the origin, however it is written', async () => {
    const got: string[][] = [];
    const { bw } = await h.proxied((req, res) => {
      got.push(rawValues(req.rawHeaders, 'x-forwarded-for'));
      res.end('ok');
    }, { top: 'trusted_proxies: [10.0.0.0/8]' });
    const conn = await h.raw(bw.port);
    const spoofs = ['X-Forwarded-For: 10.0.0.1', 'x-forwarded-for: 6.6.6.6\r\nX-FORWARDED-FOR: 7.7.7.7', 'X-Forwarded-For:  , 10.1.1.1'];
    for (const [i, line] of spoofs.entries()) {
      conn.write(`GET /${i} HTTP/1.1\r\nHost: t\r\n${line}\r\n\r\n`);
      await conn.waitResponses(i + 1);
    }
    expect(got).toEqual([['127.0.0.1'], ['127.0.0.1'], ['127.0.0.1']]);
    const lines = await waitAccess(bw, 3);
    expect(lines.map((l) => l['client'])).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('gives ${client_ip} the client behind a trusted proxy: the rightmost untrusted address', async () => {
    const origin = await h.origin(echoHandler);
    const yaml = simpleConfig([origin.url], { top: 'trusted_proxies: [127.0.0.1, 10.0.0.0/8]' }).replace(
      '  - upstream: web\n',
      '  - upstream: web\n    headers: { request: { set: { X-Client: "${client_ip}" } } }\n',
    );
    const bw = await h.bulwark(yaml);
    const { echo } = await sendEcho(bw.url, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.5, 10.1.2.3' } });
    expect(rawValues(echo.rawHeaders, 'x-client')).toEqual(['203.0.113.5']);
    expect(rawValues(echo.rawHeaders, 'x-forwarded-for')).toEqual(['6.6.6.6, 203.0.113.5, 10.1.2.3, 127.0.0.1']);
  });

  it('sets X-Forwarded-Proto to http, replacing a client-sent value', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, { headers: { 'x-forwarded-proto': 'https' } });
    expect(rawValues(echo.rawHeaders, 'x-forwarded-proto')).toEqual(['http']);
  });

  it('sets X-Forwarded-Host to the Host, replacing a client-sent value, and passes Host unchanged', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { echo } = await sendEcho(bw.url, { headers: { host: 'App.Example.com:8443', 'x-forwarded-host': 'evil.test' } });
    expect(rawValues(echo.rawHeaders, 'host')).toEqual(['App.Example.com:8443']);
    expect(rawValues(echo.rawHeaders, 'x-forwarded-host')).toEqual(['App.Example.com:8443']);
  });

  it('generates an X-Request-Id when absent and returns the same id to the client', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { reply, echo } = await sendEcho(bw.url);
    const id = echo.headers['x-request-id'];
    expect(id).toMatch(UUID);
    expect(reply.headers['x-request-id']).toBe(id);
    const second = await sendEcho(bw.url);
    expect(second.echo.headers['x-request-id']).not.toBe(id);
  });

  it('keeps a client-sent X-Request-Id and returns it', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { reply, echo } = await sendEcho(bw.url, { headers: { 'x-request-id': 'req-abc-123' } });
    expect(rawValues(echo.rawHeaders, 'x-request-id')).toEqual(['req-abc-123']);
    expect(reply.headers['x-request-id']).toBe('req-abc-123');
  });

  it('replaces a client X-Request-Id that is not a short printable token', async () => {
    const { bw } = await h.proxied(echoHandler);
    const { reply, echo } = await sendEcho(bw.url, { headers: { 'x-request-id': 'has space' } });
    expect(echo.headers['x-request-id']).toMatch(UUID);
    expect(reply.headers['x-request-id']).toBe(echo.headers['x-request-id']);
  });

  it("returns bulwark's request id even when the origin answers with its own", async () => {
    const { bw } = await h.proxied((_req, res) => {
      res.setHeader('x-request-id', 'origin-made-this');
      res.end('ok');
    });
    const r = await send(bw.url, { headers: { 'x-request-id': 'client-id' } });
    expect(rawValues(r.rawHeaders, 'x-request-id')).toEqual(['client-id']);
  });
});
