/**
 * @module test/helpers/backup
 * Shared pieces of the backup integration tests (test/integration/backup-*):
 * - `backupConfig`: YAML for upstream "web" over named servers, optionally sticky (cookie
 *   mode), with a `backup:` block whose `dir` is relative to the config file;
 * - `BackupSite`: a temp folder holding the config file and its backups, and bulwark
 *   started in-process on it (again and again, for restarts), logs captured;
 * - `backupCli`: the real `bulwark backup ...` (dist/cli/main.js) with its own environment;
 * - cookie sessions (`newSession`, `askWith`) and a request loop that must never fail.
 * Everything is tracked by the caller's Harness: apps stopped, folders removed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/runtime/app.js';
import { CLI, REPO_ROOT, type CliResult } from './cli.js';
import type { Harness } from './harness.js';
import { send, waitFor, withTimeout } from './net.js';
import type { Origin } from './origin.js';

export interface BackupYaml {
  readonly servers: ReadonlyArray<{ readonly name: string; readonly url: string }>;
  readonly sticky?: boolean;
  /** Extra keys of the sticky block, flow style (e.g. "max_entries: 300000"). */
  readonly stickyExtra?: string;
  /** Keys of the backup block besides dir (flow style), e.g. "interval: 200ms, keep_last: 5". */
  readonly backup?: string;
}

export function backupConfig(o: BackupYaml): string {
  const sticky = o.sticky === false ? [] : [`    sticky: { mode: cookie${o.stickyExtra ? `, ${o.stickyExtra}` : ''} }`];
  return [
    'listen: 127.0.0.1:0',
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: false }',
    'upstreams:',
    '  web:',
    ...sticky,
    '    servers:',
    ...o.servers.map((s) => `      - { name: ${s.name}, url: "${s.url}" }`),
    'routes:',
    '  - upstream: web',
    `backup: { dir: backups${o.backup ? `, ${o.backup}` : ''} }`,
    '',
  ].join('\n');
}

/** Servers named after origins from `h.namedOrigins` (the name is the body they answer). */
export function serversOf(origins: readonly Origin[], names: readonly string[]): Array<{ name: string; url: string }> {
  return origins.map((o, i) => ({ name: names[i]!, url: o.url }));
}

export interface Running {
  readonly app: App;
  readonly url: string;
  readonly adminUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  events(event: string): Array<Record<string, unknown>>;
  stop(): Promise<boolean>;
}

export class BackupSite {
  readonly dir: string;
  readonly configFile: string;
  readonly backups: string;
  readonly #h: Harness;

  private constructor(h: Harness, dir: string) {
    this.#h = h;
    this.dir = dir;
    this.configFile = join(dir, 'bulwark.yaml');
    this.backups = join(dir, 'backups');
  }

  static async create(h: Harness, yaml: string): Promise<BackupSite> {
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-backup-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const site = new BackupSite(h, dir);
    await writeFile(site.configFile, yaml);
    return site;
  }

  /** bulwark in-process on the config file (stopped after the test unless stopped before); `env` replaces process.env. */
  async start(env?: NodeJS.ProcessEnv): Promise<Running> {
    const logs: Array<Record<string, unknown>> = [];
    const logDestination = { write: (chunk: string): void => void logs.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) };
    const app = await App.start({ configFile: this.configFile, logDestination, processMetrics: false, ...(env === undefined ? {} : { env }) });
    const stop = (): Promise<boolean> => app.stop(200);
    this.#h.defer(stop);
    return {
      app,
      url: `http://127.0.0.1:${app.addresses[0]!.port}`,
      adminUrl: `http://127.0.0.1:${app.adminAddress!.port}`,
      logs,
      events: (event) => logs.filter((l) => l['event'] === event),
      stop,
    };
  }

  /** `bulwark backup <command> -c <config file> --admin URL ...args`. */
  cli(command: string, run: Running | undefined, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const admin = run === undefined ? [] : ['--admin', run.adminUrl];
    return backupCli([command, '-c', this.configFile, ...admin, ...args], env);
  }
}

/** Runs `bulwark backup ARGS...` to completion with `env` added to this process's environment. */
export async function backupCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = EVENT_BOUND_MS): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, 'backup', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  try {
    return { ...(await withTimeout(exited, timeoutMs, `bulwark backup ${args.join(' ')}`)), stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** A request without a cookie: returns the session cookie bulwark set and who answered. */
export async function newSession(url: string, cookieName = 'bulwark_sid'): Promise<{ cookie: string; server: string }> {
  const r = await send(url);
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${cookieName}=`));
  if (r.status !== 200 || set === undefined) throw new Error(`expected 200 with a ${cookieName} cookie, got ${r.status} ${JSON.stringify(r.headers)}`);
  return { cookie: set.split(';')[0]!, server: r.text };
}

/** Who answers `n` requests carrying `cookie`, counted by body. */
export async function askWith(url: string, cookie: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await send(url, { headers: { cookie } });
    if (r.status !== 200) throw new Error(`request with ${cookie} answered ${r.status}: ${r.text}`);
    counts[r.text] = (counts[r.text] ?? 0) + 1;
  }
  return counts;
}

/** Sends requests one after another until stopped; counts successes and records failures. */
export function requestLoop(url: string): { stop(): Promise<{ ok: number; failures: string[] }> } {
  let running = true;
  const result = { ok: 0, failures: [] as string[] };
  const done = (async () => {
    while (running) {
      try {
        const r = await send(url);
        if (r.status === 200) result.ok++;
        else result.failures.push(`${r.status} ${r.text}`);
      } catch (err) {
        result.failures.push(String(err));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return result;
    },
  };
}

/**
 * How long a backup test waits for an event before it calls the run hung: a guard, never a
 * timing assertion. Generous, since the agent runs at a low CPU priority and the suite must
 * pass on a busy 2-core machine with a CPU hog beside it (the agent then needs a few seconds
 * to start, and as long for a run).
 */
export const EVENT_BOUND_MS = 60_000;
/** A test timeout for backup tests that wait for several agent events in a row. */
export const BACKUP_TEST_MS = 180_000;

/** Waits for a log line with `event` matching `pred` (a hang guard, not a timing assertion). */
export async function waitEvent(run: Running, event: string, pred: (l: Record<string, unknown>) => boolean = () => true, timeoutMs = EVENT_BOUND_MS): Promise<Record<string, unknown>> {
  await waitFor(() => run.events(event).some(pred), timeoutMs, `a "${event}" log line`);
  return run.events(event).filter(pred).pop()!;
}

/** The `backup` section of bulwark's /status (undefined when it has none). */
export async function backupStatus(run: Running): Promise<Record<string, unknown> | undefined> {
  return ((await (await fetch(`${run.adminUrl}/status`)).json()) as { backup?: Record<string, unknown> }).backup;
}

/** Polls /status until its `backup` section matches `pred` (a hang guard, not a timing assertion). */
export async function waitBackupStatus(run: Running, pred: (b: Record<string, unknown> | undefined) => boolean, what: string): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + EVENT_BOUND_MS;
  for (;;) {
    const b = await backupStatus(run);
    if (pred(b)) return b;
    if (Date.now() > deadline) throw new Error(`timed out after ${EVENT_BOUND_MS} ms waiting for /status backup ${what}; last: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `n` sticky sessions of upstream "web" over `servers` (round robin), as POST /sessions/import reads them. */
export function sessionsNdjson(n: number, servers: readonly string[]): string {
  const expires = Date.now() + 3_600_000;
  let out = '';
  for (let i = 0; i < n; i++) out += `{"key":"k${i.toString(36).padStart(8, '0')}","upstream":"web","server":"${servers[i % servers.length]}","expires_at":${expires}}\n`;
  return out;
}
