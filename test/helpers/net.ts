/**
 * @module test/helpers/net
 * Real-socket clients for integration tests:
 * - `send`: one node:http request on a fresh connection (`agent: false`), reply buffered;
 * - `RawConn`: a raw TCP connection for exact bytes (duplicate Host, absolute-form targets,
 *   stalled heads), with a small HTTP/1.1 response parser;
 * - `waitFor` / `deferred` / `withTimeout`: polling and gating without timed assertions.
 */
import http from 'node:http';
import net from 'node:net';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Node's flat [name, value, ...] list: repeated fields stay separate. */
  readonly rawHeaders: string[];
  readonly body: Buffer;
  readonly text: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

/** One request over a fresh connection; resolves with the whole reply, rejects on any error. */
export function send(baseUrl: string, opts: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl + (opts.path ?? '/'), { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (!res.complete) return reject(new Error('response incomplete'));
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString() });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Starts a request (fresh connection) whose body the caller writes and ends; `reply`
 * resolves with the status and the whole response text.
 */
export function openRequest(url: string, opts: http.RequestOptions = {}): { req: http.ClientRequest; reply: Promise<{ status: number; text: string }> } {
  const req = http.request(url, { ...opts, agent: false });
  const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, reply };
}

/** The values of every `name` field in a raw [name, value, ...] list (case-insensitive). */
export function rawValues(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
  return out;
}

export interface ParsedResponse {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Parses the complete HTTP/1.1 responses at the start of `data` (latin1 text): 1xx heads,
 * Content-Length bodies and chunked bodies. Stops at the first incomplete one.
 * `closed`: the connection has ended, so a response without framing ends at the close.
 */
export function parseResponses(data: string, closed = false): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) return out;
    const lines = data.slice(pos, headEnd).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let bodyStart = headEnd + 4;
    let body = '';
    if (status < 200 || status === 204 || status === 304) {
      // no body
    } else if (headers['transfer-encoding']?.includes('chunked')) {
      for (;;) {
        const sizeEnd = data.indexOf('\r\n', bodyStart);
        if (sizeEnd === -1) return out;
        const size = parseInt(data.slice(bodyStart, sizeEnd), 16);
        if (data.length < sizeEnd + 2 + size + 2) return out;
        body += data.slice(sizeEnd + 2, sizeEnd + 2 + size);
        bodyStart = sizeEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (data.length < bodyStart + len) return out;
      body = data.slice(bodyStart, bodyStart + len);
      bodyStart += len;
    } else {
      if (!closed) return out;
      body = data.slice(bodyStart);
      bodyStart = data.length;
    }
    out.push({ status, headers, body });
    pos = bodyStart;
  }
}

/** A raw TCP client connection; everything received accumulates in `data` (latin1). */
export class RawConn {
  readonly socket: net.Socket;
  data = '';
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (this.data += d));
    socket.on('error', () => {}); // resets are expected in these tests; 'close' follows
    this.closed = new Promise((r) => socket.once('close', () => r()));
    void this.closed.then(() => (this.#closed = true));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => resolve(new RawConn(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The complete responses received so far. */
  responses(): ParsedResponse[] {
    return parseResponses(this.data, this.#closed);
  }

  /** Waits until `n` complete responses (1xx included) arrived; returns them all. */
  async waitResponses(n = 1, timeoutMs = 3000): Promise<ParsedResponse[]> {
    await waitFor(() => this.responses().length >= n || this.#closed, timeoutMs, `${n} response(s)`);
    const got = this.responses();
    if (got.length < n) throw new Error(`connection closed after ${got.length} response(s); received: ${JSON.stringify(this.data)}`);
    return got;
  }

  /** Sends a request and returns the first final (non-1xx) response on this connection. */
  async request(head: string, body = ''): Promise<ParsedResponse> {
    this.write(head + body);
    await waitFor(() => this.responses().some((r) => r.status >= 200) || this.#closed, 3000, 'a final response');
    const final = this.responses().find((r) => r.status >= 200);
    if (final === undefined) throw new Error(`no final response; received: ${JSON.stringify(this.data)}`);
    return final;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Polls `cond` every 10 ms; rejects after `timeoutMs` (a hang guard, not a timing assertion). */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rejects if `p` has not settled within `ms` (so a stall fails the test instead of hanging it). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves with the error a connection attempt fails with, or undefined if it connects. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(undefined);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
}
