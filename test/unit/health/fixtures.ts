/**
 * @module test/unit/health/fixtures
 * Shared tools for the health-checker tests: a config builder with small test values, a
 * Server for an origin URL, checkers over one or more servers, an origin whose status the
 * test switches, a raw TCP origin, socket tracking, and `nextResult`, the
 * "advance the ManualClock, then await the check it fired" step. Every listener opened
 * here is on 127.0.0.1 port 0 and closed by `closeAll()` (call it in afterEach).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ManualClock, seededRandom } from '../../helpers/clock.js';
import type { HealthCheckConfig } from '../../../src/core/config.js';
import { Server } from '../../../src/core/server.js';
import { HealthChecker, type CheckResult } from '../../../src/health/index.js';
import { startOrigin, type Origin } from '../../helpers/origin.js';

export const T0 = 1_000_000;

export function checkConfig(overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  return {
    type: 'http',
    path: '/health',
    method: 'GET',
    host: undefined,
    expect_status: { min: 200, max: 399 },
    expect_body: undefined,
    interval: 5000,
    timeout: 2000,
    rise: 2,
    fall: 3,
    jitter: 0,
    fast_interval: 1000,
    ...overrides,
  };
}

export function serverFor(url: string, name = 's1'): Server {
  return new Server({ upstream: 'web', name, origin: url, weight: 1 });
}

const cleanups: Array<() => unknown> = [];

/** Runs (in reverse order) every cleanup registered since the last call. */
export async function closeAll(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

/** An http origin (see test/helpers/origin) closed by closeAll, with every socket it accepted. */
export async function httpOrigin(handler?: Parameters<typeof startOrigin>[0]): Promise<Origin & { sockets: net.Socket[] }> {
  const origin = await startOrigin(handler);
  const sockets: net.Socket[] = [];
  origin.server.on('connection', (s: net.Socket) => sockets.push(s));
  cleanups.push(() => origin.close());
  return Object.assign(origin, { sockets });
}

/** An origin answering `status.code`, which the test changes between checks; closed by closeAll. */
export async function switchable(): Promise<Origin & { sockets: net.Socket[]; status: { code: number } }> {
  const status = { code: 200 };
  const origin = await httpOrigin((_req, res) => {
    res.statusCode = status.code;
    res.end('ok');
  });
  return Object.assign(origin, { status });
}

/** A raw TCP listener that accepts and holds connections, recording what they send; closed by closeAll. */
export async function tcpOrigin(): Promise<{ url: string; sockets: net.Socket[]; received: Buffer[] }> {
  const sockets: net.Socket[] = [];
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => received.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, received };
}

export interface Rig {
  readonly clock: ManualClock;
  readonly checker: HealthChecker;
  readonly server: Server;
  readonly results: CheckResult[];
}

/** A checker over `servers`, stopped by closeAll. Not started. */
export function checkerFor(servers: readonly Server[], config: HealthCheckConfig, clock = new ManualClock(T0)): HealthChecker {
  const checker = new HealthChecker(servers, config, { clock, random: seededRandom(1) });
  cleanups.push(() => checker.stop());
  return checker;
}

/** A checker over one server, stopped by closeAll. Not started. */
export function rig(url: string, config: HealthCheckConfig, clock = new ManualClock(T0)): Rig {
  const server = serverFor(url);
  const checker = checkerFor([server], config, clock);
  const results: CheckResult[] = [];
  checker.onResult((r) => results.push(r));
  return { clock, checker, server, results };
}

/** Resolves with the next completed check, of `server` if given (subscribe before triggering it). */
export function nextResult(checker: HealthChecker, server?: Server): Promise<CheckResult> {
  return new Promise((resolve) => {
    const off = checker.onResult((r) => {
      if (server !== undefined && r.server !== server) return;
      off();
      resolve(r);
    });
  });
}

/** Advances the clock by `ms` and awaits the check that fires; fails at once if none does. */
export function advanceAndCheck(r: Rig, ms: number): Promise<CheckResult> {
  const next = nextResult(r.checker);
  r.clock.advance(ms);
  if (r.clock.pendingTimers > 0) return Promise.reject(new Error(`no check fired within ${ms}ms`));
  return next;
}

/** Starts a fresh checker over `url` and returns its first result. */
export async function checkOnce(url: string, config: HealthCheckConfig): Promise<CheckResult> {
  const r = rig(url, config);
  const first = nextResult(r.checker);
  r.checker.start();
  const result = await first;
  r.checker.stop();
  return result;
}

/** Resolves once `socket` has closed. */
export function closed(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((r) => socket.once('close', () => r()));
}

/** Waits until `cond()` holds, polling on real time. */
export async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
