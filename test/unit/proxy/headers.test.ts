/**
 * forwardResponseHeaders works on undici's raw response head (Buffers): these pin the
 * rules the integration tests cannot reach cheaply (field order, byte transparency, the
 * "Connection: keep-alive" fast path).
 */
import { describe, expect, it } from 'vitest';
import { forwardResponseHeaders, headerValues } from '../../../src/proxy/headers.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('forwardResponseHeaders', () => {
  it('drops hop-by-hop fields, lower-cases names and adds the request id', () => {
    const out = forwardResponseHeaders(raw('Content-Type', 'text/plain', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'X-Request-Id', 'theirs'), 'ours');
    expect(out).toEqual(['content-type', 'text/plain', 'x-request-id', 'ours']);
  });

  it('drops fields named in Connection, whether they come before or after it', () => {
    const out = forwardResponseHeaders(raw('X-Before', '1', 'Connection', 'Close, x-before, X-AFTER', 'X-After', '2', 'X-Kept', '3'), 'id');
    expect(out).toEqual(['x-kept', '3', 'x-request-id', 'id']);
  });

  it('treats "Connection: Keep-Alive" and "close" in any case as naming no field', () => {
    expect(forwardResponseHeaders(raw('Connection', 'Keep-Alive', 'Close', 'x'), 'id')).toEqual(['close', 'x', 'x-request-id', 'id']);
    expect(forwardResponseHeaders(raw('Connection', 'CLOSE', 'Keep-Alive', 'x'), 'id')).toEqual(['x-request-id', 'id']);
  });

  it('keeps repeated fields separate and in order', () => {
    const out = forwardResponseHeaders(raw('Set-Cookie', 'a=1', 'Set-Cookie', 'b=2; Path=/'), 'id');
    expect(headerValues(out, 'set-cookie')).toEqual(['a=1', 'b=2; Path=/']);
  });

  it('passes obs-text bytes through unchanged (latin1 both ways)', () => {
    const value = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "caf\xe9"
    const out = forwardResponseHeaders([Buffer.from('x-name'), value], 'id');
    expect(Buffer.from(out[1]!, 'latin1')).toEqual(value);
  });
});
