/**
 * @module test/integration/limits.test
 * front.max_body_size and front.max_header_size: 413 for a body over the limit, announced
 * by Content-Length or discovered while a chunked body streams; 431 for a head over the
 * limit. Bodies and heads within the limits pass.
 */
import { describe, expect, it } from 'vitest';
import { echoHandler, useHarness, type Echo } from '../helpers/harness.js';
import { withTimeout } from '../helpers/net.js';

const LIMITS = { top: 'front: { max_body_size: 1kb, max_header_size: 1kb }' };

/** A chunked body of `count` chunks of `size` bytes, terminated. */
function chunked(count: number, size: number): string {
  return `${`${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`.repeat(count)}0\r\n\r\n`;
}

describe('request size limits', () => {
  const h = useHarness();

  it('answers 413 (and closes) for a Content-Length over max_body_size without forwarding', async () => {
    const { origin, bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    // Only the head is sent: the answer must not wait for a body it is going to refuse.
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n');
    expect(r.status).toBe(413);
    expect(r.body).toContain(r.headers['x-request-id']);
    expect(r.headers['connection']).toBe('close');
    expect(origin.requests).toHaveLength(0);
  });

  it('forwards a Content-Length body of exactly max_body_size', async () => {
    const { bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n', 'x'.repeat(1024));
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).length).toBe(1024);
  });

  it('answers 413 for a chunked body that grows over max_body_size', async () => {
    const { origin, bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(8, 256));
    expect(r.status).toBe(413);
    // The origin may have seen the start of the request, never the whole oversized body.
    const seen = origin.requests.filter((q) => q.complete);
    expect(seen).toHaveLength(0);
  });

  it('forwards a chunked body within max_body_size', async () => {
    const { bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const r = await conn.request('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(4, 200));
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).length).toBe(800);
  });

  it('answers 431 for a request head over max_header_size', async () => {
    const { origin, bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    conn.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`);
    await withTimeout(conn.closed, 3000, 'the connection to be closed');
    expect(conn.data).toMatch(/^HTTP\/1\.1 431 /);
    expect(origin.requests).toHaveLength(0);
  });

  it('answers 431 when many small headers add up over max_header_size', async () => {
    const { bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const many = Array.from({ length: 60 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('');
    conn.write(`GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    await withTimeout(conn.closed, 3000, 'the connection to be closed');
    expect(conn.data).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('accepts a head within max_header_size', async () => {
    const { bw } = await h.proxied(echoHandler, LIMITS);
    const conn = await h.raw(bw.port);
    const r = await conn.request(`GET / HTTP/1.1\r\nHost: x\r\nX-Medium: ${'a'.repeat(500)}\r\n\r\n`);
    expect(r.status).toBe(200);
  });
});
