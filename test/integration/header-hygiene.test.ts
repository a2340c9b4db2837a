/**
 * Issue 12 items 7, 8, 9: header count limit, the client's Forwarded, underscored names.
 * Raw requests; the origin's record shows what it received.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, routedConfig, useHarness, type Echo } from '../helpers/harness.js';

const h = useHarness();

async function setup(front: Record<string, unknown> = {}) {
  const origin = await h.origin(echoHandler);
  const bw = await h.bulwark(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }], { front }));
  return { origin, bw };
}

const lines = (n: number): string => Array.from({ length: n }, (_, i) => `x${i}:${i}\r\n`).join('');

describe('header count (front.max_headers, default 100)', () => {
  it('answers 431 past 100 header lines, and forwards all of them at 100', async () => {
    const { origin, bw } = await setup();
    const over = await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(100)}\r\n`);
    expect(over.status).toBe(431);
    expect(over.headers['connection']).toBe('close');
    const many = await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(2999)}\r\n`);
    expect(many.status).toBe(431);
    expect(origin.requests).toHaveLength(0);
    const at = await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(99)}\r\n`);
    expect(at.status).toBe(200);
    const echo = JSON.parse(at.body) as Echo;
    expect(Object.keys(echo.headers).filter((k) => /^x\d+$/.test(k))).toHaveLength(99);
  });

  it('follows front.max_headers', async () => {
    const { bw } = await setup({ max_headers: 5, max_header_size: '64kb' });
    expect((await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(4)}\r\n`)).status).toBe(200);
    expect((await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(5)}\r\n`)).status).toBe(431);
  });

  it('counts past Node\'s own 2000-field cut-off (which drops fields silently)', async () => {
    const { origin, bw } = await setup({ max_headers: 3000, max_header_size: '64kb' });
    origin.server.maxHeadersCount = 0;
    // Short repeated lines, so the origin's own 16 KiB head limit is not what answers.
    const r = await (await h.raw(bw.port)).request(`GET / HTTP/1.1\r\nHost: a\r\n${'a:1\r\n'.repeat(2500)}\r\n`);
    expect(r.status).toBe(200);
    expect(origin.requests[0]!.rawHeaders.length / 2).toBeGreaterThanOrEqual(2501);
  });
});

describe('forwarding fields a client must not set', () => {
  it('drops a client\'s Forwarded, as it replaces X-Forwarded-Proto/-Host', async () => {
    const { bw } = await setup();
    const r = await (await h.raw(bw.port)).request('GET / HTTP/1.1\r\nHost: a\r\nForwarded: for=6.6.6.6;proto=https\r\nforwarded: for=7.7.7.7\r\n\r\n');
    const echo = JSON.parse(r.body) as Echo;
    expect(echo.headers['forwarded']).toBeUndefined();
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('drops header names with underscores by default (X_Forwarded_For beside the real one)', async () => {
    const { bw } = await setup();
    const r = await (await h.raw(bw.port)).request('GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 6.6.6.6\r\nX-Real_IP: 6.6.6.6\r\nX-Ok: 1\r\n\r\n');
    const echo = JSON.parse(r.body) as Echo;
    expect(echo.rawHeaders.filter((_, i) => i % 2 === 0 && echo.rawHeaders[i]!.includes('_'))).toEqual([]);
    expect(echo.headers['x-ok']).toBe('1');
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('forwards them with front.underscores_in_headers: true', async () => {
    const { bw } = await setup({ underscores_in_headers: true });
    const r = await (await h.raw(bw.port)).request('GET / HTTP/1.1\r\nHost: a\r\nX_Custom: 1\r\n\r\n');
    expect((JSON.parse(r.body) as Echo).headers['x_custom']).toBe('1');
  });
});
