/**
 * max_body_size per route, on top of front.max_body_size (the smaller applies): 413 for a
 * Content-Length over it (answered from the head, the origin never asked) and for a
 * chunked body that grows over it, with request buffering on (the default) and off; other
 * routes keep the front limit.
 */
import { describe, expect, it } from 'vitest';
import { accessLines, echoHandler, routedConfig, useHarness, type Echo } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();

/** A chunked body of `count` chunks of `size` bytes, terminated. */
const chunked = (count: number, size: number): string => `${`${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`.repeat(count)}0\r\n\r\n`;

async function setup(front: Record<string, unknown>, small = '1kb') {
  const up = await h.origin(echoHandler);
  const other = await h.origin(echoHandler);
  const bw = await h.bulwark(
    routedConfig({ up: [up.url], other: [other.url] }, [{ path_prefix: '/upload/', upstream: 'up', rules: { max_body_size: small } }, { upstream: 'other' }], { front }),
  );
  const post = async (path: string, head: string, body: string) => (await h.raw(bw.port)).request(`POST ${path} HTTP/1.1\r\nHost: x\r\n${head}\r\n`, body);
  return { up, other, bw, post };
}

describe.each([true, false])('route max_body_size (buffer_requests: %s)', (buffer_requests) => {
  it('refuses a Content-Length over the route limit from the head alone', async () => {
    const { up, bw, post } = await setup({ buffer_requests });
    const r = await post('/upload/a', 'Content-Length: 1025\r\n', '');
    expect(r.status).toBe(413);
    expect(r.headers['connection']).toBe('close');
    expect(r.body).toContain('1024 bytes');
    expect(up.requests).toHaveLength(0);
    // The access log names the route's upstream.
    await waitFor(() => accessLines(bw).length === 1, 5000, 'the access line');
    expect(accessLines(bw)[0]).toMatchObject({ status: 413, upstream: 'up', error: 'BLWK_BODY_TOO_LARGE' });
  });

  it('refuses a chunked body that grows over the route limit; the origin never gets it whole', async () => {
    const { up, post } = await setup({ buffer_requests });
    const r = await post('/upload/a', 'Transfer-Encoding: chunked\r\n', chunked(8, 256));
    expect(r.status).toBe(413);
    expect(up.requests.filter((q) => q.complete)).toHaveLength(0);
  });

  it('takes bodies within the route limit, and other routes keep the front limit', async () => {
    const { post } = await setup({ buffer_requests });
    expect(JSON.parse((await post('/upload/a', 'Content-Length: 1024\r\n', 'x'.repeat(1024))).body) as Echo).toMatchObject({ length: 1024 });
    expect(JSON.parse((await post('/upload/a', 'Transfer-Encoding: chunked\r\n', chunked(4, 256))).body) as Echo).toMatchObject({ length: 1024 });
    expect(JSON.parse((await post('/elsewhere', 'Content-Length: 4096\r\n', 'y'.repeat(4096))).body) as Echo).toMatchObject({ url: '/elsewhere', length: 4096 });
    expect(JSON.parse((await post('/elsewhere', 'Transfer-Encoding: chunked\r\n', chunked(16, 256))).body) as Echo).toMatchObject({ length: 4096 });
  });
});

describe('route max_body_size over a smaller front limit', () => {
  it('cannot raise front.max_body_size: the smaller wins', async () => {
    const { up, post } = await setup({ max_body_size: '1kb' }, '1mb');
    expect((await post('/upload/a', 'Content-Length: 2048\r\n', '')).status).toBe(413);
    expect((await post('/upload/a', 'Transfer-Encoding: chunked\r\n', chunked(8, 256))).status).toBe(413);
    expect(up.requests.filter((q) => q.complete)).toHaveLength(0);
  });
});

describe('Expect: 100-continue against a route limit', () => {
  it('answers 413 without 100 Continue when Content-Length is over the route limit (no upload for nothing)', async () => {
    const { up, bw } = await setup({});
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST /upload/a HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nExpect: 100-continue\r\n\r\n');
    expect(r.status).toBe(413);
    expect(conn.data).not.toMatch(/^HTTP\/1\.1 100/);
    expect(up.requests).toHaveLength(0);
  });

  it('still sends 100 Continue for a body within the route limit', async () => {
    const { bw } = await setup({});
    const conn = await h.raw(bw.port);
    conn.write('POST /upload/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const [interim] = await conn.waitResponses(1);
    expect(interim!.status).toBe(100);
    conn.write('hello');
    const all = await conn.waitResponses(2);
    expect((JSON.parse(all[1]!.body) as Echo).length).toBe(5);
  });
});
