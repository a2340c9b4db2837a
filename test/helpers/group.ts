/**
 * @module test/helpers/group
 * A `bulwark start` with `workers: N` as real processes: the primary is a CliProcess; its
 * workers write to the same stdout, so their pids come from the primary's worker_started /
 * worker_restarted lines and their traffic from the `pid` of their access lines. Cleanup
 * SIGKILLs the primary first (so nothing is restarted), then every worker it ever logged,
 * and waits until each is gone.
 */
import { CliProcess, tempConfig } from './cli.js';
import type { Harness } from './harness.js';
import { send, waitFor, withTimeout } from './net.js';

export interface WorkerEntry {
  readonly id: number;
  readonly pid: number;
  readonly started_at: string;
  readonly restarts: number;
}

/** Whether process `pid` still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every worker pid the primary has logged as serving. */
export function workerPids(p: CliProcess): number[] {
  return p.logs().flatMap((l) => (l['event'] === 'worker_started' || l['event'] === 'worker_restarted' ? [Number(l['worker_pid'])] : []));
}

/** Access lines so far, counted by the pid of the process that logged them. */
export function accessByPid(p: CliProcess): Map<number, number> {
  const counts = new Map<number, number>();
  for (const l of p.logs()) if (l['msg'] === 'access') counts.set(Number(l['pid']), (counts.get(Number(l['pid'])) ?? 0) + 1);
  return counts;
}

/** Starts `bulwark start` on `yaml` and waits (generously: N processes start) for its "started" line. */
export async function startGroup(h: Harness, yaml: string): Promise<CliProcess> {
  const p = CliProcess.spawn(h, await tempConfig(h, yaml));
  h.defer(async () => {
    p.signal('SIGKILL');
    await p.exited;
    const pids = workerPids(p);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000, 'every worker to exit');
  });
  await p.started(30_000);
  return p;
}

/** The primary's /status `workers` array. */
export async function workersOf(p: CliProcess): Promise<WorkerEntry[]> {
  const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/status' });
  return (JSON.parse(r.text) as { workers: WorkerEntry[] }).workers;
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** Bodies of the 200s, counted. */
  readonly bodies: Map<string, number>;
  readonly errors: string[];
}

/**
 * A request not answered by then counts as failed (its loop goes on; the socket is closed
 * when the test's processes are killed). Generous: only a lost connection comes near it.
 */
const REQUEST_LIMIT_MS = 15_000;

/**
 * Runs `concurrency` request loops (a fresh connection per request, so cluster hands each
 * to a worker) until `until()` is true; returns what they got.
 */
export async function loadUntil(url: string, concurrency: number, until: () => boolean, path = '/'): Promise<LoadResult> {
  const res: LoadResult = { ok: 0, failed: 0, bodies: new Map(), errors: [] };
  const loop = async (): Promise<void> => {
    while (!until()) {
      try {
        const r = await withTimeout(send(url, { path }), REQUEST_LIMIT_MS, 'a response');
        if (r.status === 200) {
          res.ok++;
          res.bodies.set(r.text, (res.bodies.get(r.text) ?? 0) + 1);
          continue;
        }
        res.failed++;
        res.errors.push(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
      } catch (err) {
        res.failed++;
        res.errors.push(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return res;
}

/** `n` requests, `concurrency` at a time, each on a fresh connection. */
export async function sendMany(url: string, n: number, concurrency = 4, path = '/'): Promise<LoadResult> {
  let started = 0;
  return loadUntil(url, concurrency, () => started++ >= n, path);
}

/** `waitFor` for a condition that needs I/O (an admin request): polls every 50 ms until true or `timeoutMs`. */
export async function waitAsync(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The JSON lines of a process's stdout, parsed once each as they arrive (CliProcess.logs()
 * parses everything on each call, too slow to poll while load writes access lines).
 */
export class LogTail {
  readonly #p: CliProcess;
  #offset = 0;
  readonly #lines: Array<Record<string, unknown>> = [];

  constructor(p: CliProcess) {
    this.#p = p;
  }

  /** Every complete line so far. */
  lines(): ReadonlyArray<Record<string, unknown>> {
    this.fresh();
    return this.#lines;
  }

  /** The complete lines that arrived since the last call (of either method). */
  fresh(): Array<Record<string, unknown>> {
    const out = this.#p.stdout;
    const end = out.lastIndexOf('\n') + 1;
    const added: Array<Record<string, unknown>> = [];
    for (const line of out.slice(this.#offset, end).split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        added.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Two processes' writes larger than a pipe's atomic size (4 KiB) can interleave: not a line of ours.
      }
    }
    this.#offset = Math.max(this.#offset, end);
    this.#lines.push(...added);
    return added;
  }
}
