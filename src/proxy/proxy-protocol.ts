/**
 * @module proxy/proxy-protocol
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a header a load
 * balancer in front sends once, before any other byte of a connection, naming the client
 * it accepted. This file parses it (incrementally, bounded) and builds it for upstreams.
 *
 * - v1: one text line "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n", at most 107 bytes.
 * - v2: a 16-byte binary head (12-byte signature, version/command, family/transport,
 *   length) and `length` bytes of addresses and TLVs. TLVs are skipped. LOCAL (the load
 *   balancer's own connection, a health check), UNSPEC and UNIX carry no client address:
 *   the connection's own peer stands. Headers over MAX_V2_LENGTH bytes are refused.
 * Anything else, or an address that does not read as one, is an error: the caller closes.
 */
import net, { isIPv4, isIPv6, type Socket } from 'node:net';

/** The client a header names; undefined for LOCAL / UNKNOWN / UNSPEC (use the peer). */
export interface ProxySource {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export type ProxyParse =
  | { readonly state: 'more' }
  | { readonly state: 'error'; readonly reason: string }
  | { readonly state: 'done'; /** Bytes the header took. */ readonly length: number; readonly source: ProxySource | undefined };

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V1_MAX = 107;
const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** The most bytes a v2 header (head, addresses and TLVs) may take here. */
export const MAX_V2_LENGTH = 4096;
const MORE = { state: 'more' } as const;
const fail = (reason: string): ProxyParse => ({ state: 'error', reason });

/** Whether `buf` (shorter than `sig`) could still become `sig`, or starts with it. */
function startsAs(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.subarray(0, n).equals(sig.subarray(0, n));
}

/** Parses a header at the start of `buf`: done, an error, or more bytes needed. */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (startsAs(buf, V2_SIG)) return buf.length < 16 ? MORE : parseV2(buf);
  if (startsAs(buf, V1_PREFIX)) return parseV1(buf);
  return fail('no PROXY protocol header');
}

const PORT = /^(?:0|[1-9]\d{0,4})$/;

function parseV1(buf: Buffer): ProxyParse {
  const end = buf.subarray(0, V1_MAX).indexOf('\r\n', 0, 'latin1');
  if (end === -1) return buf.length >= V1_MAX ? fail(`v1 header longer than ${V1_MAX} bytes`) : MORE;
  const parts = buf.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { state: 'done', length, source: undefined };
  if (parts.length !== 6) return fail('v1 header must be PROXY TCP4|TCP6 src dst sport dport');
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const valid = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : undefined;
  if (valid === undefined) return fail(`v1 protocol must be TCP4, TCP6 or UNKNOWN, not ${JSON.stringify(proto.slice(0, 10))}`);
  if (!valid(src) || !valid(dst)) return fail(`v1 ${proto} header has an invalid address`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535) return fail('v1 header has an invalid port');
  return { state: 'done', length, source: { address: src, port: Number(sport), family: proto === 'TCP4' ? 4 : 6 } };
}

function parseV2(buf: Buffer): ProxyParse {
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return fail(`v2 header has version ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command > 1) return fail(`v2 header has unknown command ${command}`);
  const length = 16 + buf.readUInt16BE(14);
  if (length > MAX_V2_LENGTH) return fail(`v2 header longer than ${MAX_V2_LENGTH} bytes`);
  if (buf.length < length) return MORE;
  // LOCAL: the balancer's own connection; its addresses (if any) are ignored.
  if (command === 0) return { state: 'done', length, source: undefined };
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  if (family === 0 || family === 3) return { state: 'done', length, source: undefined };
  if (family > 3) return fail(`v2 header has unknown address family ${family}`);
  if (transport !== 1) return fail('v2 header must describe a TCP (stream) connection');
  const need = family === 1 ? 12 : 36;
  if (length - 16 < need) return fail('v2 header is too short for its addresses');
  const source: ProxySource =
    family === 1
      ? { address: buf.subarray(16, 20).join('.'), port: buf.readUInt16BE(24), family: 4 }
      : { address: ipv6Text(buf.subarray(16, 32)), port: buf.readUInt16BE(48), family: 6 };
  return { state: 'done', length, source };
}

/** 16 bytes as an IPv6 address in full groups ("2001:db8:0:0:0:0:0:1"): valid, if not the shortest form. */
function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** The connection a header describes, for building one for an upstream. */
export interface ProxyEndpoints {
  readonly source: { readonly address: string; readonly port: number };
  readonly destination: { readonly address: string; readonly port: number };
}

/** Strips "::ffff:" from an IPv4-mapped IPv6 address (as Node reports dual-stack peers). */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The header to send first on an upstream connection made for the client connection `c`.
 * Addresses of different families (or not addresses at all) give v1 UNKNOWN / v2 LOCAL.
 */
export function buildProxyHeader(version: 'v1' | 'v2', c: ProxyEndpoints): Buffer {
  const src = plainAddress(c.source.address);
  const dst = plainAddress(c.destination.address);
  const fam = isIPv4(src) && isIPv4(dst) ? 4 : isIPv6(src) && isIPv6(dst) ? 6 : 0;
  if (version === 'v1') {
    if (fam === 0) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    return Buffer.from(`PROXY TCP${fam} ${src} ${dst} ${c.source.port} ${c.destination.port}\r\n`, 'latin1');
  }
  const body = fam === 4 ? 12 : fam === 6 ? 36 : 0;
  const out = Buffer.alloc(16 + body);
  V2_SIG.copy(out);
  out[12] = fam === 0 ? 0x20 : 0x21;
  out[13] = fam === 4 ? 0x11 : fam === 6 ? 0x21 : 0x00;
  out.writeUInt16BE(body, 14);
  if (fam === 4) {
    Buffer.from(src.split('.').map(Number)).copy(out, 16);
    Buffer.from(dst.split('.').map(Number)).copy(out, 20);
    out.writeUInt16BE(c.source.port, 24);
    out.writeUInt16BE(c.destination.port, 26);
  } else if (fam === 6) {
    ipv6Bytes(src).copy(out, 16);
    ipv6Bytes(dst).copy(out, 32);
    out.writeUInt16BE(c.source.port, 48);
    out.writeUInt16BE(c.destination.port, 50);
  }
  return out;
}

/** A TCP connection to host:port whose first bytes are `header` (written at once: it goes before anything written later). */
export function headedSocket(host: string, port: number, header: Buffer): Socket {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  socket.write(header);
  return socket;
}

/**
 * The header of a connection bulwark makes for itself (a health check): v2 LOCAL, or v1
 * UNKNOWN, which tell the receiver to use the connection's own addresses (HAProxy's
 * check-send-proxy).
 */
export function localProxyHeader(version: 'v1' | 'v2'): Buffer {
  if (version === 'v1') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const out = Buffer.alloc(16);
  V2_SIG.copy(out);
  out[12] = 0x20;
  return out;
}

/** A valid IPv6 address (isIPv6) as its 16 bytes; an embedded IPv4 tail ("::ffff:1.2.3.4") included. */
function ipv6Bytes(address: string): Buffer {
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
