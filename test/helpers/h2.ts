/**
 * @module test/helpers/h2
 * HTTP/2 clients for the h2 tests: node:http2 sessions (closed by the harness), one
 * request read whole, and a raw frame client for what node:http2 refuses to send
 * (connection-specific fields, floods of resets and pings). HPACK is written as literals
 * without indexing or Huffman coding (RFC 7541 §6.2.2), which every decoder accepts.
 */
import http2 from 'node:http2';
import net from 'node:net';
import type { Harness } from './harness.js';

/** `yaml` (a config with `listen: 127.0.0.1:0`) with that listener speaking h2c. */
export function h2c(yaml: string): string {
  const out = yaml.replace(/^listen: .*$/m, 'listen: [{ address: "127.0.0.1:0", http2: true }]');
  if (out === yaml) throw new Error('no listen line to replace');
  return out;
}

/** A node:http2 session to `url` (h2c prior knowledge for http://), destroyed after the test. */
export async function h2Session(h: Harness, url: string, opts: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  const s = http2.connect(url, opts);
  h.defer(() => s.destroy());
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

export interface H2Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders | undefined;
}

/** One request on `session`, its response read whole. Rejects when the stream is reset. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders | undefined;
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status: Number(head?.[':status']), headers: head ?? {}, body: Buffer.concat(chunks), trailers }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

const int = (n: number, prefix: number): number[] => {
  const max = (1 << prefix) - 1;
  if (n < max) return [n];
  const out = [max];
  n -= max;
  while (n >= 128) {
    out.push((n & 127) | 128);
    n >>= 7;
  }
  out.push(n);
  return out;
};

/** HPACK: each field as a literal without indexing, new name (RFC 7541 §6.2.2). */
export function hpack(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(fields.map(([k, v]) => Buffer.concat([Buffer.from([0, ...int(k.length, 7)]), Buffer.from(k), Buffer.from(int(v.length, 7)), Buffer.from(v)])));
}

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 } as const;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** A raw HTTP/2 connection: sends the preface and an empty SETTINGS, parses what comes back. */
export class RawH2 {
  readonly frames: Frame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.#read(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(h: Harness, port: number): Promise<RawH2> {
    const socket = net.connect(port, '127.0.0.1');
    h.defer(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawH2(socket);
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(FRAME.SETTINGS, 0, 0)]));
    return c;
  }

  /** A HEADERS frame with END_HEADERS, and END_STREAM unless `body` follows. */
  headers(stream: number, fields: ReadonlyArray<readonly [string, string]>, endStream = true): void {
    this.write(frame(FRAME.HEADERS, endStream ? 5 : 4, stream, hpack(fields)));
  }

  write(b: Buffer): boolean {
    return this.closed ? false : this.socket.write(b);
  }

  /** The error code of the RST_STREAM on `stream`, if one came. */
  rstCode(stream: number): number | undefined {
    return this.frames.find((f) => f.type === FRAME.RST_STREAM && f.stream === stream)?.payload.readUInt32BE(0);
  }

  /** The error code of the GOAWAY, if one came. */
  goawayCode(): number | undefined {
    return this.frames.find((f) => f.type === FRAME.GOAWAY)?.payload.readUInt32BE(4);
  }

  #read(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 9) {
      const len = this.#buf.readUIntBE(0, 3);
      if (this.#buf.length < 9 + len) return;
      const b = this.#buf;
      this.frames.push({ type: b[3]!, flags: b[4]!, stream: b.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(b.subarray(9, 9 + len)) });
      this.#buf = b.subarray(9 + len);
    }
  }
}

/** The usual pseudo-headers of a GET to `path` on `authority`. */
export function get(path: string, authority = 'h2.test'): Array<[string, string]> {
  return [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
  ];
}
