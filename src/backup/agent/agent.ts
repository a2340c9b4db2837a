/**
 * @module backup/agent/agent
 * `bulwark backup agent -c FILE`: the backup sidecar, a process of its own that reaches the
 * proxy only through the admin API (the runs themselves: backup/agent/runner). SIGTERM or
 * SIGINT (or, when supervised, its parent going away: stdin closes) takes a last snapshot,
 * then it exits 0. SIGHUP makes it re-read the running config's backup block through the
 * admin API (the supervisor sends it after a reload). Logs are JSON lines on stdout (pino's
 * format).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import pino from 'pino';
import type { BackupCpuClass } from '../../core/config.js';
import { describeError } from './errors.js';
import { Runner, type AgentOptions } from './runner.js';
import { requireWriteKey, type BackupSettings } from './settings.js';

/** Set by the supervisor: the agent also stops when its stdin (the pipe from bulwark) closes. */
export const SUPERVISED_ENV = 'BULWARK_BACKUP_SUPERVISED';
/** How long the last snapshot at shutdown may take (the supervisor kills after 5 s). */
const SHUTDOWN_BUDGET_MS = 4000;
/**
 * Nice value (0 normal, 19 lowest) of each `backup.cpu_class`. `low` (nice 10) still gets
 * about a tenth of what a normal task gets of a contended core, so snapshots progress on a
 * saturated host; `idle` also joins SCHED_IDLE, which runs only when nothing else wants the
 * CPU and so may starve for as long as the host is busy.
 */
export const CPU_CLASS_NICE: Readonly<Record<BackupCpuClass, number>> = { low: 10, idle: 19 };

export type { AgentOptions } from './runner.js';

/**
 * Lowers the whole process's CPU priority to `cpuClass`. On Linux nice is per thread, and V8's helper
 * threads (garbage collection, compilation) exist before any of our code runs: each gets
 * it by its id from /proc/self/task. Threads started later (libuv's pool) inherit it from
 * the main thread. Where util-linux is installed, `idle` also moves the process to the idle
 * CPU and I/O classes (`chrt --idle`, `ionice -c 3`): an idle-class task yields the CPU at
 * once to any normal one that wakes, where a nice value only shrinks its share. `low` takes
 * the lowest best-effort I/O priority (`ionice -c 2 -n 7`), which still always progresses.
 * Elsewhere, or where it is not permitted, this does what it can.
 */
export function lowerPriority(cpuClass: BackupCpuClass): void {
  // The helper commands first, while this process still runs at its normal priority: they
  // inherit the caller's, and on a busy host an idle-class chrt would wait for its turn.
  if (process.platform === 'linux') prioritySteps(cpuClass);
  const nice = CPU_CLASS_NICE[cpuClass];
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
}

/** ionice, then (idle) chrt, last, so that no helper is started in the idle class. */
function prioritySteps(cpuClass: BackupCpuClass): void {
  const pid = String(process.pid);
  const steps: ReadonlyArray<readonly [string, readonly string[]]> =
    cpuClass === 'idle'
      ? [
          ['ionice', ['-c', '3', '-p', pid]],
          ['chrt', ['--idle', '--all-tasks', '--pid', '0', pid]],
        ]
      : [['ionice', ['-c', '2', '-n', '7', '-p', pid]]];
  for (const [cmd, args] of steps) {
    try {
      execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // not installed or not permitted: nice alone
    }
  }
}

/** Runs the agent until it is told to stop; resolves with the exit status. */
export async function runAgent(s: BackupSettings, o: AgentOptions): Promise<number> {
  // Refused before anything runs: every snapshot would fail (bulwark start refuses it too).
  try {
    requireWriteKey(s);
  } catch (err) {
    process.stderr.write(`bulwark backup agent: ${describeError(err)}\n`);
    return 1;
  }
  // Installed first: until then SIGHUP (a reload, from the supervisor) would end the process.
  let agent: Runner | undefined;
  process.on('SIGHUP', () => void agent?.refresh());
  const log = pino({ level: s.config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, pino.destination({ dest: 1, sync: true }));
  if (s.warning !== undefined) log.warn({ event: 'config_invalid' }, s.warning);
  // Backups are background work: on a busy machine the proxy gets the CPU first.
  lowerPriority(s.backup.cpu_class);
  const supervised = o.env[SUPERVISED_ENV] === '1';
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    if (supervised) process.stdin.once('close', () => resolve('parent gone')).once('end', () => resolve('parent gone')).resume();
  });
  agent = new Runner(s, o, log);
  const b = s.backup;
  // The version running now, so that the next reload is seen as a change.
  if (b.on_reload) await Promise.race([agent.poll(), stopped]);
  log.info(
    { event: 'agent_started', dir: b.dir, interval_ms: b.interval, on_reload: b.on_reload, cpu_class: b.cpu_class, encrypted: b.encrypt_key_env !== undefined, admin: agent.admin },
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
