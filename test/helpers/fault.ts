/**
 * @module test/helpers/fault
 * Shared pieces of the fault-tolerance integration tests (test/integration/fault-*):
 * chaos origins tracked by the Harness, YAML for one upstream "web" with fault-tolerance
 * blocks, the /status document, flag waits, and a concurrent load loop that records when
 * each request started and ended and how it finished.
 */
import { Pool } from 'undici';
import { stringify } from 'yaml';
import type { FaultTolerance } from '../../src/runtime/fault-tolerance.js';
import type { AttemptOutcome } from '../../src/core/outcome.js';
import type { Server, ServerFlag } from '../../src/core/server.js';
import { ChaosOrigin } from './chaos-origin.js';
import type { TestBulwark } from './bulwark.js';
import type { Harness } from './harness.js';
import { send, waitFor } from './net.js';

/** Fast health checks on /healthz: a dead server is marked within ~0.3 s. */
export const FAST_CHECKS = {
  path: '/healthz',
  interval: '100ms',
  timeout: '100ms',
  fast_interval: '50ms',
  fall: 3,
  rise: 2,
  jitter: '0%',
} as const;

/** Starts one ChaosOrigin per name, closed after the test. */
export async function chaosOrigins(h: Harness, names: readonly string[]): Promise<ChaosOrigin[]> {
  const origins = await Promise.all(names.map((n) => ChaosOrigin.start(n)));
  for (const o of origins) h.defer(() => o.close());
  return origins;
}

export interface ServerSpec {
  readonly origin: ChaosOrigin;
  readonly backup?: boolean;
  readonly weight?: number;
}

/**
 * YAML for upstream "web" (servers named after their origins) behind a catch-all route;
 * `upstream` is merged into the upstream block (health_check, retries, ...).
 */
export function ftConfig(servers: ReadonlyArray<ChaosOrigin | ServerSpec>, upstream: Record<string, unknown> = {}, opts: { access?: boolean; front?: Record<string, unknown> } = {}): string {
  const specs = servers.map((s) => (s instanceof ChaosOrigin ? { origin: s } : s));
  return stringify({
    listen: '127.0.0.1:0',
    admin: { listen: '127.0.0.1:0' },
    log: { level: 'info', access: opts.access ?? false },
    ...(opts.front !== undefined ? { front: opts.front } : {}),
    upstreams: {
      web: {
        ...upstream,
        servers: specs.map(({ origin, backup, weight }) => ({ url: origin.url, name: origin.name, ...(backup ? { backup } : {}), ...(weight ? { weight } : {}) })),
      },
    },
    routes: [{ upstream: 'web' }],
  });
}

/** Starts bulwark in front of `servers` (see ftConfig); stopped after the test. */
export function ftBulwark(h: Harness, servers: ReadonlyArray<ChaosOrigin | ServerSpec>, upstream: Record<string, unknown> = {}, opts: { access?: boolean; front?: Record<string, unknown> } = {}): Promise<TestBulwark> {
  return h.bulwark(ftConfig(servers, upstream, opts));
}

export interface SeenAttempt {
  readonly server: string;
  readonly outcome: AttemptOutcome;
  /** Date.now() when the attempt ended. */
  readonly at: number;
}

/**
 * Records every attempt's outcome on upstream "web" from now on, through the same
 * observer list outlier detection and the breaker use. Shows retries that clients never see.
 */
export function recordAttempts(bw: TestBulwark): SeenAttempt[] {
  const seen: SeenAttempt[] = [];
  bw.app.proxy.state.upstreams.get('web')!.observers.push({
    onAttemptEnd: (server, outcome) => void seen.push({ server: server.name, outcome, at: Date.now() }),
  });
  return seen;
}

export interface StatusServer {
  name: string;
  weight: number;
  available: boolean;
  flags: string[];
  flag_details: Record<string, { since: string; reason: string }>;
  active_requests: number;
}

export interface StatusUpstream {
  name: string;
  servers: StatusServer[];
  outlier_detection?: { detected: Record<string, number>; enforced: Record<string, number>; ejected_now: number };
  circuit_breaker?: { states: Record<string, string>; pending: number; overflowed: number; pending_timed_out: number };
  retries?: { in_flight: number; budget_exhausted: number };
}

/** GET /status on the admin listener; the "web" upstream. */
export async function webStatus(bw: TestBulwark): Promise<StatusUpstream> {
  const r = await send(bw.adminUrl, { path: '/status' });
  if (r.status !== 200) throw new Error(`/status answered ${r.status}`);
  const doc = JSON.parse(r.text) as { upstreams: StatusUpstream[] };
  return doc.upstreams.find((u) => u.name === 'web')!;
}

/** The live Server object named `name` in upstream "web". */
export function serverOf(bw: TestBulwark, name: string): Server {
  return bw.app.proxy.state.upstreams.get('web')!.servers.find(name)!;
}

/** The health checker, outlier detector, breaker and slow start of upstream "web". */
export function ftOf(bw: TestBulwark): FaultTolerance {
  return bw.app.faultTolerance.get('web')!;
}

/** Waits until `flag` is set on (or, with `set` false, cleared from) server `name`. */
export function waitFlag(bw: TestBulwark, name: string, flag: ServerFlag, set = true, timeoutMs = 3000): Promise<void> {
  const s = serverOf(bw, name);
  return waitFor(() => s.hasFlag(flag) === set, timeoutMs, `${name} ${set ? 'to get' : 'to lose'} flag ${flag}`);
}

/** The `server_flag_set` / `server_flag_cleared` log lines of one server and flag. */
export function flagEvents(bw: TestBulwark, name: string, flag: ServerFlag): Array<Record<string, unknown>> {
  return bw.logs.filter((l) => l['server'] === `web/${name}` && l['flag'] === flag);
}

export interface LoadRecord {
  /** Date.now() when the request was sent and when it finished. */
  readonly start: number;
  readonly end: number;
  /** 0 when the request failed without a response. */
  readonly status: number;
  /** The x-origin header (which origin answered), or "". */
  readonly origin: string;
  /** The error message when the request or its body failed, or "". */
  readonly error: string;
}

export interface Load {
  readonly records: LoadRecord[];
  /** Stops sending and waits for the requests in flight; returns every record. */
  stop(): Promise<LoadRecord[]>;
}

/**
 * `concurrency` loops, each sending GET `path` as soon as its previous request finished,
 * over one undici Pool (keep-alive, one connection per loop), until stop(). The pool is
 * destroyed after the test.
 */
export function startLoad(h: Harness, url: string, concurrency: number, path = '/'): Load {
  const pool = new Pool(url, { connections: concurrency });
  h.defer(() => pool.destroy());
  const records: LoadRecord[] = [];
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const start = Date.now();
      let status = 0;
      let origin = '';
      try {
        const r = await pool.request({ path, method: 'GET' });
        status = r.statusCode;
        origin = String(r.headers['x-origin'] ?? '');
        await r.body.text();
        records.push({ start, end: Date.now(), status, origin, error: '' });
      } catch (err) {
        records.push({ start, end: Date.now(), status, origin, error: (err as Error).message || String(err) });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    records,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return records;
    },
  };
}

/** The records that are not a complete 2xx response. */
export function failures(records: readonly LoadRecord[]): LoadRecord[] {
  return records.filter((r) => r.error !== '' || r.status < 200 || r.status > 299);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
