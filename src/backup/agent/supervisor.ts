/**
 * @module backup/agent/supervisor
 * Runs the backup agent (`bulwark backup agent -c FILE`) as a child process of `bulwark
 * start`, with BULWARK_ADMIN_URL set to the bound admin address. Its JSON log lines are
 * relogged through bulwark's logger (`source: "backup-agent"`, its pid as `agent_pid`). When
 * it exits on its own it is restarted after 1 s, 2 s, 4 s … at most 60 s; the delay starts
 * over once a run lasted 60 s. Nothing here can fail the proxy: spawn errors and exits are
 * only logged. stop() sends SIGTERM and waits, then SIGKILL after 5 s. A reload that changes
 * the backup block reaches the agent as SIGHUP (it re-reads the running config through the
 * admin API), or, for a new `cpu_class`, as a restart of the agent. Whether the agent makes
 * progress is watched (backup/agent/stall): `stall` tells of every stall and recovery.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { BackupConfig } from '../../core/config.js';
import { SUPERVISED_ENV } from './agent.js';
import { stallThreshold, StallWatch } from './stall.js';

export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 60_000;
/** A run this long resets the backoff. */
export const STABLE_MS = 60_000;
const KILL_AFTER_MS = 5000;

/**
 * dist/cli/main.js, the agent's entry point (`bulwark backup agent`): found from this
 * module's place in dist/, or, running from the sources, in dist/. A path, not an import:
 * the agent runs in a child process.
 */
export function cliScript(): string {
  const built = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
  return existsSync(built) ? built : fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
}

export interface SupervisorOptions {
  readonly configFile: string;
  /** The bound admin API, e.g. "http://127.0.0.1:9901". */
  readonly adminUrl: string;
  readonly logger: pino.Logger;
  /** The backup block the agent runs (for the stall threshold and cpu_class). */
  readonly backup: BackupConfig;
  readonly env?: NodeJS.ProcessEnv;
  /** The CLI script to run (default cliScript()). */
  readonly script?: string;
}

export class BackupSupervisor {
  readonly #o: SupervisorOptions;
  readonly #log: pino.Logger;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #backoff = BACKOFF_MIN_MS;
  #restarts = 0;
  #stopping = false;
  #backup: BackupConfig;
  /** The running agent has logged agent_started (its SIGHUP handler is in place). */
  #ready = false;
  /** A SIGHUP to send once it is. */
  #hupPending = false;
  /** Stalls and recoveries of the agent; subscribe with stall.onChange. */
  readonly stall: StallWatch;

  constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#backup = o.backup;
    this.#log = o.logger.child({ source: 'backup-agent' });
    this.stall = new StallWatch(stallThreshold(o.backup));
  }

  /** The running agent's pid, if one is running. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  get restarts(): number {
    return this.#restarts;
  }

  start(): void {
    if (this.#stopping) return;
    if (this.#child === undefined) this.stall.start();
    const script = this.#o.script ?? cliScript();
    const env = { ...(this.#o.env ?? process.env), BULWARK_ADMIN_URL: this.#o.adminUrl, [SUPERVISED_ENV]: '1' };
    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [script, 'backup', 'agent', '-c', this.#o.configFile], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      this.#log.error({ event: 'backup_agent_spawn_failed', error: (err as Error).message }, `cannot start the backup agent: ${(err as Error).message}`);
      return this.#scheduleRestart(0);
    }
    this.#child = child;
    this.#ready = false;
    this.#hupPending = false;
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => this.#relog(line, child.pid));
    createInterface({ input: child.stderr! }).on('line', (line) => this.#log.warn({ event: 'backup_agent_stderr', agent_pid: child.pid, line }, line));
    this.#exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.#log.error({ event: 'backup_agent_spawn_failed', error: err.message }, `backup agent: ${err.message}`);
        if (child.pid === undefined) {
          resolve();
          this.#scheduleRestart(0);
        }
      });
      child.once('exit', (code, signal) => {
        resolve();
        if (this.#stopping) return;
        const ranMs = Date.now() - started;
        this.#log.warn({ event: 'backup_agent_exited', agent_pid: child.pid, code, signal, ran_ms: ranMs }, `backup agent (pid ${child.pid}) exited (${signal ?? `code ${code}`})`);
        this.#scheduleRestart(ranMs);
      });
    });
    if (child.pid !== undefined) {
      this.#log.info({ event: 'backup_agent_started', agent_pid: child.pid, restarts: this.#restarts }, `backup agent started (pid ${child.pid})`);
    }
  }

  #agentReady(): void {
    this.#ready = true;
    if (this.#hupPending) this.#child?.kill('SIGHUP');
    this.#hupPending = false;
  }

  #scheduleRestart(ranMs: number): void {
    if (this.#stopping) return;
    if (ranMs >= STABLE_MS) this.#backoff = BACKOFF_MIN_MS;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    this.#restarts++;
    this.#log.warn({ event: 'backup_agent_restart', delay_ms: delay, restarts: this.#restarts }, `restarting the backup agent in ${delay} ms`);
    this.#timer = setTimeout(() => this.start(), delay);
    this.#timer.unref();
  }

  /** An agent log line, relogged at its own level; other output as an info line. */
  #relog(line: string, agentPid: number | undefined): void {
    let v: Record<string, unknown> | undefined;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch {
      v = undefined;
    }
    if (v === undefined || typeof v !== 'object' || v === null) return void this.#log.info({ event: 'backup_agent_output', agent_pid: agentPid, line }, line);
    const { level, msg, time: _time, pid, ...fields } = v;
    // A fleet follower's skipped run is progress too: the leader's agent writes the snapshot.
    if (fields['event'] === 'snapshot_created' || fields['event'] === 'snapshot_skipped') this.stall.snapshot();
    if (fields['event'] === 'agent_started') this.#agentReady();
    const label = (typeof level === 'number' ? pino.levels.labels[level] : undefined) ?? 'info';
    const log = this.#log[label as pino.Level] ?? this.#log.info;
    log.call(this.#log, { ...fields, agent_pid: pid ?? agentPid }, typeof msg === 'string' ? msg : '');
  }

  /** Stops the agent: SIGTERM (it takes a last snapshot), SIGKILL after 5 s. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.stall.stop();
    clearTimeout(this.#timer);
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      this.#log.warn({ event: 'backup_agent_killed', agent_pid: child.pid }, `backup agent did not stop within ${KILL_AFTER_MS} ms: SIGKILL`);
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    await this.#exited;
    clearTimeout(kill);
  }

  /**
   * A reload changed the backup block: the agent re-reads the running config on SIGHUP; a
   * new cpu_class needs a new process (a lowered priority cannot be raised back unprivileged).
   */
  async reconfigure(next: BackupConfig): Promise<void> {
    const restart = next.cpu_class !== this.#backup.cpu_class;
    this.#backup = next;
    this.stall.setThreshold(stallThreshold(next));
    const child = this.#child;
    const running = child !== undefined && child.exitCode === null && child.signalCode === null;
    if (!restart) {
      // Before its handler is in place SIGHUP would end it: that agent gets it once it is.
      if (running && this.#ready) child.kill('SIGHUP');
      else if (running) this.#hupPending = true;
      return;
    }
    this.#log.info({ event: 'backup_agent_reconfigure', cpu_class: next.cpu_class }, `backup.cpu_class is now ${next.cpu_class}: restarting the backup agent`);
    await this.stop();
    this.#stopping = false;
    this.#backoff = BACKOFF_MIN_MS;
    this.#child = undefined;
    this.start();
  }
}
