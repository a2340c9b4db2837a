/**
 * An HTTP/2 head as HTTP/1.1 fields (RFC 9113 §8.3.1, §8.2.3, §6.5.2).
 */
import { describe, expect, it } from 'vitest';
import { h2RequestHead } from '../../../src/proxy/h2-head.js';

const pseudo = [':method', 'GET', ':path', '/x', ':scheme', 'https', ':authority', 'a.test:8443'];

describe('h2RequestHead', () => {
  it('makes :authority the Host, first, drops the pseudo-headers and keeps the other fields in order', () => {
    expect(h2RequestHead([...pseudo, 'accept', '*/*', 'x-b', '2'], 32768)).toEqual({ fields: ['host', 'a.test:8443', 'accept', '*/*', 'x-b', '2'], problem: undefined });
  });

  it('uses Host without :authority, and has no Host without either', () => {
    expect(h2RequestHead([':method', 'GET', ':path', '/', ':scheme', 'http', 'host', 'h.test'], 32768).fields).toEqual(['host', 'h.test']);
    expect(h2RequestHead([':method', 'GET', ':path', '/', ':scheme', 'http'], 32768).fields).toEqual([]);
  });

  it('accepts a Host equal to :authority (any case), refuses another one', () => {
    expect(h2RequestHead([...pseudo, 'host', 'A.test:8443'], 32768)).toEqual({ fields: ['host', 'a.test:8443'], problem: undefined });
    expect(h2RequestHead([...pseudo, 'host', 'b.test'], 32768).problem).toEqual({ status: 400, message: 'Host header does not match :authority' });
  });

  it('keeps a second Host field, for the duplicate-Host check', () => {
    expect(h2RequestHead([...pseudo, 'host', 'a.test:8443', 'host', 'b.test'], 32768).fields).toEqual(['host', 'a.test:8443', 'host', 'b.test']);
  });

  it('joins Cookie crumbs with "; " into one field', () => {
    expect(h2RequestHead([...pseudo, 'cookie', 'a=1', 'x', 'y', 'cookie', 'b=2'], 32768).fields).toEqual(['host', 'a.test:8443', 'cookie', 'a=1; b=2', 'x', 'y']);
  });

  it('refuses a :scheme other than http or https', () => {
    expect(h2RequestHead([':method', 'GET', ':path', '/', ':scheme', 'ftp', ':authority', 'a'], 32768).problem).toEqual({ status: 400, message: ':scheme "ftp" is not http or https' });
  });

  it('counts the header list as RFC 9113 §6.5.2 does: name, value and 32 bytes per field', () => {
    const raw = [...pseudo, 'x', 'y'.repeat(100)];
    const size = raw.reduce((n, s) => n + s.length, 0) + 32 * (raw.length / 2);
    expect(h2RequestHead(raw, size).problem).toBeUndefined();
    expect(h2RequestHead(raw, size - 1).problem).toEqual({ status: 431, message: `header list larger than ${size - 1} bytes (front.h2_max_header_list_size)` });
  });
});
