/**
 * @module cli/backup/agent
 * `bulwark backup agent -c FILE`: the backup sidecar, a process of its own that reaches the
 * proxy only through the admin API (the runs themselves: cli/backup/runner). SIGTERM or
 * SIGINT (or, when supervised, its parent going away: stdin closes) takes a last snapshot,
 * then it exits 0. Logs are JSON lines on stdout (pino's format).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import pino from 'pino';
import { Runner, type AgentOptions } from './runner.js';
import type { BackupSettings } from './settings.js';

/** Set by the supervisor: the agent also stops when its stdin (the pipe from bulwark) closes. */
export const SUPERVISED_ENV = 'BULWARK_BACKUP_SUPERVISED';
/** How long the last snapshot at shutdown may take (the supervisor kills after 5 s). */
const SHUTDOWN_BUDGET_MS = 4000;
/** The agent's CPU scheduling priority (nice value: 0 normal, 19 lowest). */
const NICE = 19;

export type { AgentOptions } from './runner.js';

/**
 * Lowers the whole process's CPU priority. On Linux nice is per thread, and V8's helper
 * threads (garbage collection, compilation) exist before any of our code runs: each gets
 * it by its id from /proc/self/task. Threads started later (libuv's pool) inherit it from
 * the main thread. Where util-linux is installed, the process also moves to the idle CPU
 * and I/O classes (`chrt --idle`, `ionice -c 3`, as one would run a backup by hand):
 * an idle-class task yields the CPU at once to any normal one that wakes, where nice 19
 * only shrinks its share. Elsewhere, or where it is not permitted, this does what it can.
 */
export function lowerPriority(nice: number): void {
  let tids = [0];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    // no /proc: only this thread
  }
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      // not permitted here (or the thread is gone): leave it at its priority
    }
  }
  if (process.platform !== 'linux') return;
  for (const [cmd, args] of [
    ['chrt', ['--idle', '--all-tasks', '--pid', '0', String(process.pid)]],
    ['ionice', ['-c', '3', '-p', String(process.pid)]],
  ] as const) {
    try {
      execFileSync(cmd, args, { stdio: 'ignore', timeout: 2000 });
    } catch {
      // not installed or not permitted: nice alone
    }
  }
}

/** Runs the agent until it is told to stop; resolves with the exit status. */
export async function runAgent(s: BackupSettings, o: AgentOptions): Promise<number> {
  const log = pino({ level: s.config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, pino.destination({ dest: 1, sync: true }));
  if (s.warning !== undefined) log.warn({ event: 'config_invalid' }, s.warning);
  // Backups are background work: on a busy machine the proxy gets the CPU first.
  lowerPriority(NICE);
  const supervised = o.env[SUPERVISED_ENV] === '1';
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    if (supervised) process.stdin.once('close', () => resolve('parent gone')).once('end', () => resolve('parent gone')).resume();
  });
  const agent = new Runner(s, o, log);
  const b = s.backup;
  // The version running now, so that the next reload is seen as a change.
  if (b.on_reload) await Promise.race([agent.poll(), stopped]);
  log.info(
    { event: 'agent_started', dir: b.dir, interval_ms: b.interval, on_reload: b.on_reload, encrypted: b.encrypt_key_env !== undefined, admin: agent.admin },
    `backup agent: a snapshot every ${b.interval} ms into ${b.dir} (admin ${agent.admin})`,
  );
  agent.schedule();
  const why = await stopped;
  agent.unschedule();
  if (supervised) process.stdin.destroy();
  log.info({ event: 'agent_stopping', reason: why }, `${why}: taking a last snapshot, then stopping`);
  await agent.idle();
  const budget = new Promise<'late'>((r) => setTimeout(r, SHUTDOWN_BUDGET_MS, 'late').unref());
  if ((await Promise.race([agent.trigger('shutdown'), budget])) === 'late') log.warn({ event: 'agent_shutdown_late' }, 'the last snapshot did not finish in time');
  log.info({ event: 'agent_stopped' }, 'backup agent stopped');
  return 0;
}
