/**
 * @module test/unit/proxy/proxy-protocol.test
 * PROXY protocol v1 and v2 headers: parsed whole, byte by byte (more bytes needed until
 * the end), LOCAL / UNKNOWN / UNSPEC without a source, TLVs skipped, and every malformed
 * shape refused; headers built for upstreams parse back to what they describe.
 */
import { describe, expect, it } from 'vitest';
import { MAX_V2_LENGTH, buildProxyHeader, parseProxyHeader } from '../../../src/proxy/proxy-protocol.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
function v2(verCmd: number, famProto: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = verCmd;
  head[1] = famProto;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}
const inet4 = Buffer.from([192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x01, 0xbb]); // 192.0.2.7:12345 -> 10.0.0.1:443
const reason = (r: ReturnType<typeof parseProxyHeader>) => (r.state === 'error' ? r.reason : r.state);

describe('parseProxyHeader v1', () => {
  it('reads TCP4 and TCP6 lines and says how long the header was', () => {
    const line = 'PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\r\n';
    expect(parseProxyHeader(Buffer.from(`${line}GET / HTTP/1.1\r\n`))).toEqual({ state: 'done', length: line.length, source: { address: '192.0.2.7', port: 12345, family: 4 } });
    const six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 5 80\r\n'));
    expect(six).toMatchObject({ state: 'done', source: { address: '2001:db8::7', port: 5, family: 6 } });
  });

  it('asks for more bytes until the line ends, byte by byte', () => {
    const line = Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\r\n');
    for (let n = 0; n < line.length; n++) expect(parseProxyHeader(line.subarray(0, n)).state).toBe('more');
    expect(parseProxyHeader(line).state).toBe('done');
  });

  it('takes UNKNOWN without a source', () => {
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ state: 'done', length: 15, source: undefined });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n')).state).toBe('done');
  });

  it('refuses bad addresses, ports, protocols, shapes and overlong lines', () => {
    const bad = (s: string) => reason(parseProxyHeader(Buffer.from(s)));
    expect(bad('PROXY TCP4 999.0.2.7 10.0.0.1 1 2\r\n')).toBe('v1 TCP4 header has an invalid address');
    expect(bad('PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n')).toBe('v1 TCP4 header has an invalid address');
    expect(bad('PROXY TCP4 192.0.2.7 10.0.0.1 65536 2\r\n')).toBe('v1 header has an invalid port');
    expect(bad('PROXY TCP4 192.0.2.7 10.0.0.1 01 2\r\n')).toBe('v1 header has an invalid port');
    expect(bad('PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n')).toBe('v1 protocol must be TCP4, TCP6 or UNKNOWN, not "UDP4"');
    expect(bad('PROXY TCP4 192.0.2.7 10.0.0.1 1\r\n')).toBe('v1 header must be PROXY TCP4|TCP6 src dst sport dport');
    expect(bad(`PROXY TCP4 ${'1'.repeat(120)}`)).toBe('v1 header longer than 107 bytes');
    expect(bad('GET / HTTP/1.1\r\n')).toBe('no PROXY protocol header');
    expect(bad('PROXX')).toBe('no PROXY protocol header');
  });
});

describe('parseProxyHeader v2', () => {
  it('reads PROXY over TCP4 and TCP6, skipping TLVs', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63]);
    const h = v2(0x21, 0x11, Buffer.concat([inet4, tlv]));
    expect(parseProxyHeader(Buffer.concat([h, Buffer.from('GET')]))).toEqual({ state: 'done', length: h.length, source: { address: '192.0.2.7', port: 12345, family: 4 } });
    const inet6 = Buffer.alloc(36);
    inet6.writeUInt16BE(0x2001, 0);
    inet6.writeUInt16BE(0x0db8, 2);
    inet6[15] = 7;
    inet6.writeUInt16BE(8080, 32);
    expect(parseProxyHeader(v2(0x21, 0x21, inet6))).toMatchObject({ source: { address: '2001:db8:0:0:0:0:0:7', port: 8080, family: 6 } });
  });

  it('asks for more bytes until the whole header is there', () => {
    const h = v2(0x21, 0x11, inet4);
    for (let n = 0; n < h.length; n++) expect(parseProxyHeader(h.subarray(0, n)).state).toBe('more');
  });

  it('takes LOCAL, UNSPEC and UNIX without a source', () => {
    expect(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)))).toEqual({ state: 'done', length: 16, source: undefined });
    expect(parseProxyHeader(v2(0x20, 0x11, inet4)).state).toBe('done');
    expect(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0)))).toMatchObject({ source: undefined });
    expect(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216)))).toMatchObject({ source: undefined });
  });

  it('refuses bad versions, commands, families, transports, short and overlong headers', () => {
    expect(reason(parseProxyHeader(v2(0x11, 0x11, inet4)))).toBe('v2 header has version 1');
    expect(reason(parseProxyHeader(v2(0x22, 0x11, inet4)))).toBe('v2 header has unknown command 2');
    expect(reason(parseProxyHeader(v2(0x21, 0x41, inet4)))).toBe('v2 header has unknown address family 4');
    expect(reason(parseProxyHeader(v2(0x21, 0x12, inet4)))).toBe('v2 header must describe a TCP (stream) connection');
    expect(reason(parseProxyHeader(v2(0x21, 0x11, inet4.subarray(0, 8))))).toBe('v2 header is too short for its addresses');
    const big = v2(0x21, 0x11, Buffer.alloc(MAX_V2_LENGTH));
    expect(reason(parseProxyHeader(big.subarray(0, 16)))).toBe(`v2 header longer than ${MAX_V2_LENGTH} bytes`);
  });
});

describe('buildProxyHeader', () => {
  const ends = (src: string, dst: string) => ({ source: { address: src, port: 40000 }, destination: { address: dst, port: 8080 } });

  it('builds v1 and v2 headers that parse back to their source', () => {
    for (const version of ['v1', 'v2'] as const) {
      expect(parseProxyHeader(buildProxyHeader(version, ends('::ffff:192.0.2.7', '127.0.0.1')))).toMatchObject({ state: 'done', source: { address: '192.0.2.7', port: 40000, family: 4 } });
      const six = parseProxyHeader(buildProxyHeader(version, ends('2001:db8::7', '::1')));
      expect(six).toMatchObject({ state: 'done', source: { port: 40000, family: 6 } });
    }
    expect(buildProxyHeader('v1', ends('192.0.2.7', '10.0.0.1')).toString()).toBe('PROXY TCP4 192.0.2.7 10.0.0.1 40000 8080\r\n');
    expect(parseProxyHeader(buildProxyHeader('v2', ends('2001:db8::7', '::1')))).toMatchObject({ source: { address: '2001:db8:0:0:0:0:0:7' } });
    expect(parseProxyHeader(buildProxyHeader('v2', ends('64:ff9b::1.2.3.4', '::1')))).toMatchObject({ source: { address: '64:ff9b:0:0:0:0:102:304' } });
  });

  it('says UNKNOWN / LOCAL for mixed families', () => {
    expect(buildProxyHeader('v1', ends('192.0.2.7', '::1')).toString()).toBe('PROXY UNKNOWN\r\n');
    expect(parseProxyHeader(buildProxyHeader('v2', ends('192.0.2.7', '::1')))).toEqual({ state: 'done', length: 16, source: undefined });
  });
});
