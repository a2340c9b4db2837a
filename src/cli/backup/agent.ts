/**
 * @module cli/backup/agent
 * `bulwark backup agent -c FILE`: the backup sidecar, a process of its own that reaches the
 * proxy only through the admin API. Every `backup.interval` (and, with `on_reload`, when the
 * config version seen on GET /status, polled every second, changes) it takes a snapshot,
 * prunes by the retention policy, and POSTs the outcome to /backup/report, where /status
 * shows it. Runs never overlap: a trigger during a run queues one more run. A failed run
 * (disk full, permissions, proxy unreachable) is logged and reported; earlier snapshots stay
 * as they were. SIGTERM/SIGINT (or, when supervised, its parent going away) takes a last
 * snapshot, then exits 0. Logs are JSON lines on stdout (pino).
 */
import pino from 'pino';
import { listSnapshots, prune } from '../../backup/index.js';
import { AdminClient, resolveAdminTarget } from './admin-client.js';
import { describeError } from './errors.js';
import { loadBackupSettings, type BackupSettings } from './settings.js';
import { takeSnapshot } from './snapshot.js';

/** Set by the supervisor: the agent also stops when its stdin (the pipe from bulwark) closes. */
export const SUPERVISED_ENV = 'BULWARK_BACKUP_SUPERVISED';
const POLL_MS = 1000;
/** How long the last snapshot at shutdown may take (the supervisor kills after 5 s). */
const SHUTDOWN_BUDGET_MS = 4000;

export interface AgentOptions {
  readonly file: string;
  readonly admin: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

type Trigger = 'interval' | 'reload' | 'shutdown';

class Agent {
  readonly #s: BackupSettings;
  readonly #client: AdminClient;
  readonly #log: pino.Logger;
  #running: Promise<void> | undefined;
  #queued: Trigger | undefined;
  #lastSnapshot: string | undefined;
  #seenVersion: number | undefined;
  #pollFailing = false;

  constructor(s: BackupSettings, client: AdminClient, log: pino.Logger) {
    this.#s = s;
    this.#client = client;
    this.#log = log;
  }

  /** Starts a run now, or queues one after the current run. */
  trigger(why: Trigger): Promise<void> {
    if (this.#running !== undefined) {
      this.#queued ??= why;
      return this.#running;
    }
    this.#running = this.#run(why).finally(() => {
      this.#running = undefined;
      const next = this.#queued;
      this.#queued = undefined;
      if (next !== undefined) void this.trigger(next);
    });
    return this.#running;
  }

  /** Waits until no run is in progress (dropping any queued one). */
  async idle(): Promise<void> {
    this.#queued = undefined;
    while (this.#running !== undefined) await this.#running;
  }

  async poll(): Promise<void> {
    try {
      const v = await this.#client.version();
      if (this.#pollFailing) this.#log.info({ event: 'admin_reachable', admin: this.#client.url }, `admin API at ${this.#client.url} answers again`);
      this.#pollFailing = false;
      const changed = this.#seenVersion !== undefined && v !== this.#seenVersion;
      this.#seenVersion = v;
      if (changed) void this.trigger('reload');
    } catch (err) {
      if (!this.#pollFailing) this.#log.warn({ event: 'admin_unreachable', error: describeError(err) }, describeError(err));
      this.#pollFailing = true;
    }
  }

  async #run(trigger: Trigger): Promise<void> {
    const s = this.#s;
    const at = new Date().toISOString();
    let report: Record<string, unknown>;
    try {
      const t = await takeSnapshot(this.#client, s);
      const m = t.manifest;
      this.#lastSnapshot = m.id;
      this.#seenVersion = Math.max(this.#seenVersion ?? 0, m.config_version);
      this.#log.info(
        { event: 'snapshot_created', trigger, id: m.id, config_version: m.config_version, sessions: m.session_count, bytes: t.bytes, duration_ms: t.ms },
        `snapshot ${m.id} (${trigger}): config version ${m.config_version}, ${m.session_count} sessions, ${t.bytes} bytes in ${t.ms} ms`,
      );
      const { keep_last, keep_within } = s.backup;
      const pruned = await prune(s.backup.dir, { keep_last, keep_within }, { key: s.key });
      if (pruned.removed.length > 0) this.#log.info({ event: 'snapshots_pruned', removed: pruned.removed }, `pruned ${pruned.removed.length} snapshot(s)`);
      report = { ok: true, trigger, last_snapshot: m.id, at, sessions: m.session_count, config_version: m.config_version, duration_ms: t.ms };
    } catch (err) {
      const error = describeError(err);
      this.#log.error({ event: 'snapshot_failed', trigger, error }, `snapshot (${trigger}) failed: ${error}`);
      report = { ok: false, trigger, last_snapshot: this.#lastSnapshot ?? null, at, error };
    }
    const count = await listSnapshots(s.backup.dir).then(
      (l) => l.length,
      () => null,
    );
    try {
      await this.#client.report({ ...report, snapshot_count: count, dir: s.backup.dir, pid: process.pid });
    } catch (err) {
      this.#log.warn({ event: 'report_failed', error: describeError(err) }, `could not report to the admin API: ${describeError(err)}`);
    }
  }
}

/** Runs the agent until it is told to stop; resolves with the exit status. */
export async function runAgent(o: AgentOptions): Promise<number> {
  const s = await loadBackupSettings(o.file, o.env);
  const log = pino({ level: s.config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, pino.destination({ dest: 1, sync: true }));
  if (s.warning !== undefined) log.warn({ event: 'config_invalid' }, s.warning);
  const client = new AdminClient(resolveAdminTarget(s.config, o));
  const agent = new Agent(s, client, log);
  const b = s.backup;
  log.info(
    { event: 'agent_started', dir: b.dir, interval_ms: b.interval, on_reload: b.on_reload, encrypted: b.encrypt_key_env !== undefined, admin: client.url },
    `backup agent: a snapshot every ${b.interval} ms into ${b.dir} (admin ${client.url})`,
  );
  const timers = [setInterval(() => void agent.trigger('interval'), b.interval)];
  if (b.on_reload) {
    void agent.poll();
    timers.push(setInterval(() => void agent.poll(), POLL_MS));
  }
  const why = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    if (o.env[SUPERVISED_ENV] === '1') process.stdin.once('close', () => resolve('parent gone')).once('end', () => resolve('parent gone')).resume();
  });
  timers.forEach((t) => clearInterval(t));
  log.info({ event: 'agent_stopping', reason: why }, `${why}: taking a last snapshot, then stopping`);
  await agent.idle();
  const budget = new Promise<'late'>((r) => setTimeout(r, SHUTDOWN_BUDGET_MS, 'late').unref());
  if ((await Promise.race([agent.trigger('shutdown'), budget])) === 'late') log.warn({ event: 'agent_shutdown_late' }, 'the last snapshot did not finish in time');
  log.info({ event: 'agent_stopped' }, 'backup agent stopped');
  return 0;
}
