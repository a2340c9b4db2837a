/**
 * @module test/integration/access-log.test
 * One JSON access line per request, with time, pid, method, path, status, upstream, server,
 * duration_ms and request_id; written for proxied answers and for bulwark's own 404, 502
 * and 503 alike.
 */
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { accessLines, disableAll, routedConfig, useHarness, waitAccess } from '../helpers/harness.js';
import { send } from '../helpers/net.js';
import { refusingPort } from '../helpers/origin.js';

describe('access log', () => {
  const h = useHarness();

  it('writes one complete line per request, including 404, 502 and 503', async () => {
    const ok = await h.origin((_req, res) => res.end('ok'));
    const spare = await h.origin();
    const bw = await h.bulwark(
      routedConfig({ web: [ok.url], dead: [`http://127.0.0.1:${await refusingPort()}`], none: [spare.url] }, [
        { path_prefix: '/dead', upstream: 'dead' },
        { path_prefix: '/none', upstream: 'none' },
        { host: 'ok.test', upstream: 'web' },
      ]),
    );
    disableAll(bw, 'none');
    const sent: Array<{ method: string; path: string; host: string; status: number; upstream: string | null; server: string | null }> = [
      { method: 'GET', path: '/hello?x=1', host: 'ok.test', status: 200, upstream: 'web', server: 'web-1' },
      { method: 'POST', path: '/dead/x', host: 'ok.test', status: 502, upstream: 'dead', server: 'dead-1' },
      { method: 'GET', path: '/none', host: 'ok.test', status: 503, upstream: 'none', server: null },
      { method: 'DELETE', path: '/nowhere', host: 'other.test', status: 404, upstream: null, server: null },
    ];
    const ids: string[] = [];
    const before = Date.now();
    for (const s of sent) {
      const r = await send(bw.url, { method: s.method, path: s.path, headers: { host: s.host } });
      expect(r.status).toBe(s.status);
      ids.push(r.headers['x-request-id'] as string);
    }
    const lines = await waitAccess(bw, sent.length);
    expect(lines).toHaveLength(sent.length);
    lines.forEach((line, i) => {
      const s = sent[i]!;
      // bulwark runs in this process here: its pid is ours.
      expect(line).toMatchObject({ pid: process.pid, method: s.method, path: s.path, status: s.status, upstream: s.upstream, server: s.server, request_id: ids[i] });
      expect(typeof line['time']).toBe('number');
      expect(line['time'] as number).toBeGreaterThanOrEqual(before - 1000);
      expect(line['time'] as number).toBeLessThanOrEqual(Date.now() + 1000);
      expect(typeof line['duration_ms']).toBe('number');
      expect(line['duration_ms'] as number).toBeGreaterThanOrEqual(0);
    });
    expect(lines[1]!['error']).toBe('BLWK_UPSTREAM_CONNECT');
    expect(lines[1]!['detail']).toMatch(/ECONNREFUSED/);
    expect(lines[2]!['error']).toBe('BLWK_NO_SERVER');
    expect(lines[3]).toMatchObject({ error: 'BLWK_NO_ROUTE', detail: 'no route matches this request' });
  });

  it("logs the BLWK_ code of bulwark's own refusals (400, 405, 413, 431), as it does for failures", async () => {
    const { bw } = await h.proxied(undefined, { top: 'front: { max_body_size: 10, max_headers: 5 }' });
    const heads = [
      'GET /a/../../x HTTP/1.1\r\nHost: x\r\n\r\n',
      'TRACE / HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\n${'A: 1\r\n'.repeat(6)}\r\n`,
    ];
    for (const head of heads) {
      const conn = await h.raw(bw.port);
      await conn.request(head);
    }
    const lines = await waitAccess(bw, heads.length);
    expect(lines.map((l) => [l['status'], l['error']])).toEqual([
      [400, 'BLWK_BAD_REQUEST'],
      [405, 'BLWK_BAD_REQUEST'],
      [413, 'BLWK_BODY_TOO_LARGE'],
      [431, 'BLWK_BAD_REQUEST'],
    ]);
    expect(lines.every((l) => typeof l['detail'] === 'string' && l['detail'] !== '')).toBe(true);
  });

  it('keeps a client request id in the access line and escapes odd paths as valid JSON', async () => {
    const { bw } = await h.proxied();
    const conn = await h.raw(bw.port);
    // The backslash sits in the query: in the path it is refused (README, Security model).
    const r = await conn.request('GET /a%22b/"quoted"?\\back HTTP/1.1\r\nHost: x\r\nX-Request-Id: my-id-1\r\n\r\n');
    expect(r.status).toBe(200);
    const [line] = await waitAccess(bw, 1);
    expect(line!['request_id']).toBe('my-id-1');
    expect(line!['path']).toBe('/a%22b/"quoted"?\\back');
  });

  it('writes no access lines when log.access is false', async () => {
    const origin = await h.origin();
    const bw = await h.bulwark(simpleConfig([origin.url]).replace('access: true', 'access: false'));
    expect((await send(bw.url)).status).toBe(200);
    expect((await send(bw.url, { headers: { host: 'x' }, path: '/again' })).status).toBe(200);
    expect(accessLines(bw)).toHaveLength(0);
  });
});
