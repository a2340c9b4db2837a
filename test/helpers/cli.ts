/**
 * @module test/helpers/cli
 * Runs the built CLI (`node dist/cli/main.js`) as a real child process. `runCli` runs a
 * command to completion; `CliProcess` keeps a `start` running, parses its JSON log lines
 * from stdout and finds the bound ports from the "started" line. Both are tracked through
 * the caller's Harness so every child is killed after the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness } from './harness.js';
import { waitFor, withTimeout } from './net.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Throws a clear error when dist/ has not been built (`npm run build`). */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly out: { stdout: string; stderr: string };
}

function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, exited, out };
}

/** SIGKILLs the child unless it has exited, and waits for it. */
async function kill(s: Spawned): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await s.exited;
}

/**
 * Runs `bulwark ARGS...` to completion (cwd: the repository root). Needs no cleanup: a
 * run still going after `timeoutMs` is killed and the promise rejects.
 */
export async function runCli(args: string[], timeoutMs = 10_000): Promise<CliResult> {
  const s = spawnCli(args);
  try {
    const exit = await withTimeout(s.exited, timeoutMs, `bulwark ${args.join(' ')} to exit`);
    return { ...exit, ...s.out };
  } finally {
    await kill(s);
  }
}

/** Writes `yaml` to a fresh temp file (removed after the test); returns its path. */
export async function tempConfig(h: Harness, yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-cli-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'bulwark.yaml');
  await writeFile(file, yaml);
  return file;
}

/** A running `bulwark start -c FILE`. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly #out: { stdout: string; stderr: string };
  /** The config file it runs on (a temp file, removed after the test). */
  file = '';
  /** Ports of the first proxy listener and of the admin listener, from the "started" log line. */
  port = 0;
  adminPort = 0;

  private constructor(spawned: Spawned) {
    this.child = spawned.child;
    this.exited = spawned.exited;
    this.#out = spawned.out;
  }

  /** Starts the CLI on `yaml` and waits for its "started" line. */
  static async start(h: Harness, yaml: string): Promise<CliProcess> {
    const p = CliProcess.spawn(h, await tempConfig(h, yaml));
    await p.started();
    return p;
  }

  /** Spawns `bulwark start -c file` without waiting for anything (killed after the test). */
  static spawn(h: Harness, file: string): CliProcess {
    const spawned = spawnCli(['start', '-c', file]);
    h.defer(() => kill(spawned));
    const p = new CliProcess(spawned);
    p.file = file;
    return p;
  }

  /** Waits for the "started" line and reads the bound ports from it. */
  async started(timeoutMs?: number): Promise<void> {
    const started = await this.waitForLog((l) => l['event'] === 'started', timeoutMs);
    const listen = started['listen'] as string[];
    this.port = Number(listen[0]!.split(':').pop());
    this.adminPort = Number(String(started['admin']).split(':').pop());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get stdout(): string {
    return this.#out.stdout;
  }

  get stderr(): string {
    return this.#out.stderr;
  }

  /** Every complete JSON line on stdout so far. */
  logs(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.#out.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // an incomplete last line; it is parsed once the rest arrives
      }
    }
    return out;
  }

  /** Waits for a log line matching `pred` (fails fast if the process exits first). */
  async waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    let exitedEarly = false;
    void this.exited.then(() => (exitedEarly = true));
    await waitFor(() => this.logs().some(pred) || exitedEarly, timeoutMs, 'a log line');
    const line = this.logs().find(pred);
    if (line === undefined) throw new Error(`bulwark exited without the expected log line.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
    return line;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Waits for the exit (a hang guard of `timeoutMs`, not a timing assertion). */
  waitExit(timeoutMs = 8000): Promise<Exit> {
    return withTimeout(this.exited, timeoutMs, 'bulwark to exit');
  }
}
