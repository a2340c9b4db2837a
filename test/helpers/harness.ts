/**
 * @module test/helpers/harness
 * Per-test resource tracking for integration tests. `useHarness()` registers an afterEach
 * that closes, in reverse order of creation, everything the test opened through it:
 * origins, raw TCP origins, bulwark instances, raw client connections, undici Clients and
 * any extra cleanup (`defer`). Every listener is on 127.0.0.1 port 0.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'undici';
import { afterEach } from 'vitest';
import { stringify } from 'yaml';
import { simpleConfig, startBulwark, type TestBulwark } from './bulwark.js';
import { namedOrigin, startOrigin, type Origin } from './origin.js';
import { RawConn, send, waitFor, type Reply } from './net.js';

/** A raw TCP server standing in for a broken origin. */
export interface RawOrigin {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export interface Harness {
  /** Registers a cleanup step (run after the test, newest first). */
  defer(fn: () => unknown): void;
  origin(handler?: http.RequestListener): Promise<Origin>;
  /** One `namedOrigin` per name (each answers with its name), in order. */
  namedOrigins(names: readonly string[]): Promise<Origin[]>;
  /** A TCP server that runs `onConnection` for every connection (garbage, resets...). */
  rawOrigin(onConnection: (socket: net.Socket) => void): Promise<RawOrigin>;
  /** `watch: false` for a test that reloads through the API: the file watcher would race it. */
  bulwark(yaml: string, opts?: { watch?: boolean }): Promise<TestBulwark>;
  /** One origin with `handler`, and bulwark in front of it (`simpleConfig`). */
  proxied(handler?: http.RequestListener, extra?: Parameters<typeof simpleConfig>[1]): Promise<{ origin: Origin; bw: TestBulwark }>;
  raw(port: number): Promise<RawConn>;
  /** A dedicated undici Client (its own connection pool), destroyed after the test. */
  client(url: string): Client;
}

export function useHarness(): Harness {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  });
  const defer = (fn: () => unknown): void => void cleanups.push(fn);
  const h: Harness = {
    defer,
    async origin(handler) {
      const o = await startOrigin(handler);
      defer(() => o.close());
      return o;
    },
    async namedOrigins(names) {
      const origins = await Promise.all(names.map((n) => namedOrigin(n)));
      for (const o of origins) defer(() => o.close());
      return origins;
    },
    async rawOrigin(onConnection) {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
        onConnection(s);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const close = async (): Promise<void> => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      };
      defer(close);
      return { port, url: `http://127.0.0.1:${port}`, close };
    },
    async bulwark(yaml, opts = {}) {
      const b = await startBulwark(yaml, opts);
      defer(() => b.stop(200));
      return b;
    },
    async proxied(handler, extra) {
      const origin = await h.origin(handler);
      const bw = await h.bulwark(simpleConfig([origin.url], extra));
      return { origin, bw };
    },
    async raw(port) {
      const c = await RawConn.open(port);
      defer(() => c.destroy());
      return c;
    },
    client(url) {
      const c = new Client(url);
      defer(() => c.destroy());
      return c;
    },
  };
  return h;
}

export interface RouteSpec {
  readonly host?: string;
  readonly path_prefix?: string;
  /** Left out for a route with a `split` (in `rules`). */
  readonly upstream?: string;
  /** More route keys (strip_prefix, headers, split...), written beside `upstream`. */
  readonly rules?: Record<string, unknown>;
}

/**
 * YAML for several upstreams and an ordered route list; `front` and per-upstream extras
 * are merged in as plain objects.
 */
export function routedConfig(
  upstreams: Record<string, string[]>,
  routes: readonly RouteSpec[],
  extra: { front?: Record<string, unknown>; upstream?: Record<string, unknown> } = {},
): string {
  const doc: Record<string, unknown> = {
    listen: '127.0.0.1:0',
    admin: { listen: '127.0.0.1:0' },
    log: { level: 'info', access: true },
    upstreams: Object.fromEntries(
      Object.entries(upstreams).map(([name, urls]) => [name, { ...extra.upstream, servers: urls.map((url) => ({ url })) }]),
    ),
    routes: routes.map(({ upstream, rules, ...match }) => ({ ...(Object.keys(match).length > 0 && { match }), ...(upstream !== undefined && { upstream }), ...rules })),
  };
  if (extra.front !== undefined) doc['front'] = extra.front;
  return stringify(doc);
}

/** Marks every server of `upstream` unavailable (the 'disabled' flag). */
export function disableAll(bw: TestBulwark, upstream = 'web'): void {
  bw.app.proxy.state.upstreams.get(upstream)!.servers.all.forEach((s) => s.setFlag('disabled', 'test', Date.now()));
}

/** The active request count of every server of `upstream`, summed. */
export function activeRequests(bw: TestBulwark, upstream = 'web'): number {
  return bw.app.proxy.state.upstreams.get(upstream)!.activeRequests;
}

/** The access-log lines captured so far. */
export function accessLines(bw: TestBulwark): Array<Record<string, unknown>> {
  return bw.logs.filter((l) => l['msg'] === 'access');
}

/** Waits until `n` access lines were logged; returns them. */
export async function waitAccess(bw: TestBulwark, n: number): Promise<Array<Record<string, unknown>>> {
  await waitFor(() => accessLines(bw).length >= n, 3000, `${n} access line(s)`);
  return accessLines(bw);
}

/** An origin handler that answers 200 with a JSON echo of the request (head and body digest). */
export const echoHandler: http.RequestListener = (req, res) => {
  const hash = createHash('sha256');
  let length = 0;
  req.on('data', (c: Buffer) => {
    hash.update(c);
    length += c.length;
  });
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      length,
      sha256: hash.digest('hex'),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
};

export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly length: number;
  readonly sha256: string;
}

/** `send` through the proxy to an `echoHandler` origin; returns the reply and the echo. */
export async function sendEcho(baseUrl: string, opts: Parameters<typeof send>[1] = {}): Promise<{ reply: Reply; echo: Echo }> {
  const reply = await send(baseUrl, opts);
  if (reply.status !== 200) throw new Error(`expected 200 from the echo origin, got ${reply.status}: ${reply.text}`);
  return { reply, echo: JSON.parse(reply.text) as Echo };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
