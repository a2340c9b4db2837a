/**
 * @module test/helpers/chaos-origin
 * A test origin that can be told, at any moment, how to misbehave: node:http on 127.0.0.1
 * port 0 with every socket tracked. Behaviours (the "mode"):
 * - `answer()`: 200, body = its name, header `x-origin: <name>` (the default);
 * - `error(status, delayMs, bodyDelayMs)`: that status (default 503), optionally after a
 *   delay, and optionally with the body sent `bodyDelayMs` after the head;
 * - `stall()`: accept the request and never answer;
 * - `reset()`: destroy the connection with a TCP RST as soon as a request arrives;
 * - `dieMidBody()`: send the head (Content-Length 100) and 10 bytes, then RST;
 * - `slow(ms)`: answer normally after `ms`;
 * - `hold()`: keep every request waiting until `release(mode)` answers them all in that mode
 *   (default: normally), as it does every later request, so a test decides when a response
 *   happens.
 * `refuse()` stops listening and destroys every socket but keeps the port, so `restore()`
 * can listen on it again; `kill()` does the same abruptly (RST instead of FIN), like a
 * SIGKILLed process. `/healthz` follows the mode unless `healthz(mode)` overrides it.
 * Every request is recorded (`log`, `count(path)`) before it is handled.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ChaosMode =
  | { readonly kind: 'answer'; readonly delayMs?: number }
  | { readonly kind: 'error'; readonly status: number; readonly delayMs?: number; readonly bodyDelayMs?: number }
  | { readonly kind: 'stall' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'die-mid-body' };

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Identifies the connection it came on (1, 2, ... per origin). */
  readonly conn: number;
  /** Date.now() when it arrived. */
  readonly at: number;
  /** The request body received so far (utf8). */
  body: string;
}

export const HEALTH_PATH = '/healthz';

export class ChaosOrigin {
  readonly name: string;
  readonly port: number;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** Every request seen, in order. */
  readonly log: SeenRequest[] = [];
  #mode: ChaosMode = { kind: 'answer' };
  #health: ChaosMode | undefined;
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Requests waiting in `hold` mode: each answers its request when called. */
  readonly #held: Array<() => void> = [];
  #conns = 0;
  #closed = false;

  private constructor(name: string, server: http.Server, port: number) {
    this.name = name;
    this.#server = server;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.#handle(req, res));
    server.on('connection', (s: Socket & { chaosId?: number }) => {
      s.chaosId = ++this.#conns;
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {}); // resets are the point here
    });
  }

  static async start(name: string): Promise<ChaosOrigin> {
    const server = http.createServer({ keepAliveTimeout: 30_000 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new ChaosOrigin(name, server, (server.address() as AddressInfo).port);
  }

  answer(): void {
    this.#mode = { kind: 'answer' };
  }
  error(status = 503, delayMs = 0, bodyDelayMs = 0): void {
    this.#mode = { kind: 'error', status, delayMs, bodyDelayMs };
  }
  stall(): void {
    this.#mode = { kind: 'stall' };
  }
  reset(): void {
    this.#mode = { kind: 'reset' };
  }
  dieMidBody(): void {
    this.#mode = { kind: 'die-mid-body' };
  }
  slow(delayMs: number): void {
    this.#mode = { kind: 'answer', delayMs };
  }
  hold(): void {
    this.#mode = { kind: 'hold' };
  }
  /** Switches to `mode` (default `answer`) and handles every held request in it. */
  release(mode: ChaosMode = { kind: 'answer' }): void {
    this.#mode = mode;
    for (const answer of this.#held.splice(0)) answer();
  }
  /** Requests waiting in `hold` mode. */
  get held(): number {
    return this.#held.length;
  }
  /** Overrides what /healthz does; `undefined` makes it follow the main mode again. */
  healthz(mode: ChaosMode | undefined): void {
    this.#health = mode;
  }

  /** Requests seen for `path` (all paths when omitted). */
  count(path?: string): number {
    return path === undefined ? this.log.length : this.log.filter((r) => r.path === path).length;
  }
  /** Requests seen on any path but /healthz: the proxied traffic. */
  get proxied(): number {
    return this.log.length - this.count(HEALTH_PATH);
  }

  /** Stops listening (connections are refused) and closes every connection; the port is kept. */
  refuse(): Promise<void> {
    return this.#stop((s) => s.destroy());
  }
  /** Like refuse(), but connections are reset (RST), as when the process is SIGKILLed. */
  kill(): Promise<void> {
    return this.#stop((s) => s.resetAndDestroy());
  }
  /** Listens again on the same port, answering normally unless the mode was changed. */
  async restore(): Promise<void> {
    if (this.#server.listening || this.#closed) return;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }
  /** Final cleanup (idempotent): refuse, and never come back. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.refuse();
  }

  async #stop(end: (s: Socket) => void): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#held.length = 0;
    const closed = this.#server.listening ? new Promise<void>((r) => this.#server.close(() => r())) : Promise.resolve();
    for (const s of this.#sockets) end(s);
    await closed;
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const conn = (req.socket as Socket & { chaosId?: number }).chaosId ?? 0;
    const seen: SeenRequest = { method: req.method ?? '', path, headers: req.headers, conn, at: Date.now(), body: '' };
    this.log.push(seen);
    req.setEncoding('utf8').on('data', (c: string) => (seen.body += c)); // read it all: the connection stays reusable
    this.#respond(req, res, (path === HEALTH_PATH ? this.#health : undefined) ?? this.#mode);
  }

  #respond(req: http.IncomingMessage, res: http.ServerResponse, mode: ChaosMode): void {
    const head = { 'content-type': 'text/plain', 'x-origin': this.name };
    switch (mode.kind) {
      case 'stall':
        return;
      case 'hold':
        return void this.#held.push(() => this.#respond(req, res, this.#mode));
      case 'reset':
        return void req.socket.resetAndDestroy();
      case 'die-mid-body':
        res.writeHead(200, { ...head, 'content-length': 100 });
        res.write('x'.repeat(10));
        return this.#later(20, () => req.socket.resetAndDestroy());
      case 'answer':
      case 'error': {
        const status = mode.kind === 'error' ? mode.status : 200;
        const body = status === 200 ? this.name : `${this.name}: ${status}`;
        const bodyDelay = mode.kind === 'error' ? (mode.bodyDelayMs ?? 0) : 0;
        const send = (): void => {
          if (bodyDelay === 0) return void res.writeHead(status, head).end(body);
          res.writeHead(status, { ...head, 'content-length': Buffer.byteLength(body) }).flushHeaders();
          this.#later(bodyDelay, () => res.end(body));
        };
        if (mode.delayMs) this.#later(mode.delayMs, send);
        else send();
      }
    }
  }
}
