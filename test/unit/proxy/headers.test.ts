/**
 * forwardResponseHeaders works on undici's raw response head (Buffers): these pin the
 * rules the integration tests cannot reach cheaply (field order, byte transparency, the
 * "Connection: keep-alive" fast path).
 */
import { describe, expect, it } from 'vitest';
import { HOP_BY_HOP_FIELDS, commonField, isKeepAliveOrClose } from '../../../src/proxy/header-names.js';
import { forwardResponseHeaders, headerValues } from '../../../src/proxy/headers.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

/** A head as undici's parser hands it over: views of the one read that carried it. */
function viewsOfOneRead(pairs: string[]): Buffer[] {
  const wire = Buffer.from(`HTTP/1.1 200 OK\r\n${pairs.map((p, i) => (i % 2 === 0 ? `${p}: ` : `${p}\r\n`)).join('')}\r\nbody`, 'latin1');
  const views: Buffer[] = [];
  let at = wire.indexOf('\r\n') + 2;
  for (let i = 0; i < pairs.length; i += 2) {
    const n = Buffer.byteLength(pairs[i]!, 'latin1');
    const v = Buffer.byteLength(pairs[i + 1]!, 'latin1');
    views.push(wire.subarray(at, at + n), wire.subarray(at + n + 2, at + n + 2 + v));
    at += n + 2 + v + 2;
  }
  return views;
}

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

  it('gives the same head from views of one read (as undici hands it over) as from separate Buffers', () => {
    const pairs = ['Date', 'Mon, 30 Nov 2026 10:00:00 GMT', 'CONTENT-type', 'text/html; charset=caf\xe9', 'X-Custom-Thing', 'v', 'x-empty', '', 'Connection', 'keep-alive, X-Custom-Thing', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'];
    const fromViews = forwardResponseHeaders(viewsOfOneRead(pairs), 'id');
    expect(fromViews).toEqual(forwardResponseHeaders(raw(...pairs), 'id'));
    expect(fromViews).toEqual(['date', 'Mon, 30 Nov 2026 10:00:00 GMT', 'content-type', 'text/html; charset=caf\xe9', 'x-empty', '', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-request-id', 'id']);
  });
});

describe('commonField', () => {
  const commonName = (b: Buffer): string | undefined => commonField(b)?.name;
  it('matches common names in any letter case, and nothing else', () => {
    expect(commonName(Buffer.from('Content-Length'))).toBe('content-length');
    expect(commonName(Buffer.from('TRANSFER-ENCODING'))).toBe('transfer-encoding');
    expect(commonName(Buffer.from('te'))).toBe('te');
    expect(commonName(Buffer.from('x-origin'))).toBeUndefined();
    // Same length as "content-type", one byte off; and bytes that only match when the case bit is ignored everywhere.
    expect(commonName(Buffer.from('content-typf'))).toBeUndefined();
    expect(commonName(Buffer.from('content\rtype', 'latin1'))).toBeUndefined();
    expect(commonName(Buffer.from('CONTENT\x0dLENGTH', 'latin1'))).toBeUndefined();
  });

  it('recognises every hop-by-hop field in any case, and flags only those', () => {
    // forwardResponseHeaders relies on this: an unrecognised name is never hop-by-hop.
    for (const name of HOP_BY_HOP_FIELDS) {
      const mixed = [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
      for (const spelling of [name, name.toUpperCase(), mixed]) expect(commonField(Buffer.from(spelling))).toMatchObject({ name, hopByHop: true });
    }
    for (const name of ['content-length', 'x-request-id', 'set-cookie', 'date']) expect(commonField(Buffer.from(name))?.hopByHop).toBe(false);
  });

  it('tells a Connection value of just keep-alive or close, in any case', () => {
    for (const v of ['keep-alive', 'Keep-Alive', 'CLOSE', 'close']) expect(isKeepAliveOrClose(Buffer.from(v))).toBe(true);
    for (const v of ['keep-alive, x-a', 'closed', 'clos', 'upgrade', '']) expect(isKeepAliveOrClose(Buffer.from(v))).toBe(false);
  });
});
