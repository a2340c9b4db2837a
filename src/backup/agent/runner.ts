/**
 * @module backup/agent/runner
 * The backup agent's work: runs (snapshot through the admin API, prune, report to
 * /backup/report) on a timer and, with `on_reload`, when the config version on GET /status
 * (polled every second) changes. Runs never overlap: a trigger during a run queues one
 * more. A failed run (disk full, access denied, proxy unreachable) is logged and reported;
 * earlier snapshots stay as they were. When the proxy runs this agent's own config file, the
 * `backup:` block it runs (as snapshotted, or read on `refresh`, which SIGHUP calls) replaces
 * the one read at start, so a reload that changes the interval or the retention applies
 * without a restart. Each report names the newest snapshot on disk, also after a failed run.
 */
import { resolve } from 'node:path';
import type pino from 'pino';
import { same } from '../../config/index.js';
import { listSnapshots } from '../index.js';
import type { AdminClient } from '../../admin/client.js';
import { adminClientFor } from './admin-client.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';
import { describeError } from './errors.js';
import { backupSettingsFrom, type BackupSettings } from './settings.js';
import { pruneIfDue, takeSnapshot } from './snapshot.js';

const POLL_MS = 1000;

export interface AgentOptions {
  readonly admin: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

export type Trigger = 'interval' | 'reload' | 'shutdown';

export class Runner {
  #s: BackupSettings;
  readonly #env: NodeJS.ProcessEnv;
  readonly #client: AdminClient;
  readonly #log: pino.Logger;
  #timers: NodeJS.Timeout[] = [];
  #running: Promise<void> | undefined;
  #queued: Trigger | undefined;
  #lastSnapshot: string | undefined;
  #seenVersion: number | undefined;
  #pollFailing = false;

  constructor(s: BackupSettings, o: AgentOptions, log: pino.Logger) {
    this.#s = s;
    this.#env = o.env;
    this.#client = adminClientFor(s, o);
    this.#log = log;
  }

  get admin(): string {
    return this.#client.url;
  }

  /** (Re)arms the interval and, with on_reload, the /status poll, from the current settings. */
  schedule(): void {
    this.unschedule();
    this.#timers.push(setInterval(() => void this.trigger('interval'), this.#s.backup.interval));
    if (this.#s.backup.on_reload) this.#timers.push(setInterval(() => void this.poll(), POLL_MS));
  }

  unschedule(): void {
    this.#timers.splice(0).forEach((t) => clearInterval(t));
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

  /** Reads the config version from /status; a change (after the first read) triggers a run. */
  async poll(): Promise<void> {
    try {
      const v = await this.#client.version();
      if (this.#pollFailing) this.#log.info({ event: 'admin_reachable', admin: this.admin }, `admin API at ${this.admin} answers again`);
      this.#pollFailing = false;
      if (this.#seenVersion !== undefined && v !== this.#seenVersion) void this.trigger('reload');
      this.#seenVersion = v;
    } catch (err) {
      if (!this.#pollFailing) this.#log.warn({ event: 'admin_unreachable', error: describeError(err) }, describeError(err));
      this.#pollFailing = true;
    }
  }

  /** Re-reads the running config through the admin API and adopts its backup block. */
  async refresh(): Promise<void> {
    try {
      const c = await this.#client.config();
      this.#adopt(c.text, c.file);
    } catch (err) {
      this.#log.warn({ event: 'config_refresh_failed', error: describeError(err) }, `cannot re-read the running config: ${describeError(err)}`);
    }
  }

  /** Takes the backup settings of the running config when it is this agent's file and they changed. */
  #adopt(configText: string, configFile: string): void {
    if (resolve(configFile) !== resolve(this.#s.file)) return;
    let next: BackupSettings;
    try {
      next = backupSettingsFrom(configText, this.#s.file, this.#env);
    } catch {
      return; // the running config has no backup block (any more): keep going as started
    }
    if (next.warning !== undefined || (same(next.backup, this.#s.backup) && next.key === this.#s.key)) return;
    this.#s = next;
    this.#client.timeoutMs = next.backup.timeout;
    this.#log.info({ event: 'backup_settings_changed', backup: next.backup }, 'backup settings changed with the running config');
    if (this.#timers.length > 0) this.schedule();
  }

  async #run(trigger: Trigger): Promise<void> {
    const at = new Date().toISOString();
    let report: Record<string, unknown>;
    try {
      const t = await takeSnapshot(this.#client, this.#s);
      const m = t.manifest;
      this.#lastSnapshot = m.id;
      this.#seenVersion = Math.max(this.#seenVersion ?? 0, m.config_version);
      this.#log.info(
        { event: 'snapshot_created', trigger, id: m.id, config_version: m.config_version, sessions: m.session_count, bytes: t.bytes, duration_ms: t.ms },
        `snapshot ${m.id} (${trigger}): config version ${m.config_version}, ${m.session_count} sessions, ${t.bytes} bytes in ${t.ms} ms`,
      );
      this.#adopt(t.configText, t.configFile);
      const { dir, keep_last, keep_within } = this.#s.backup;
      const removed = await pruneIfDue(dir, { keep_last, keep_within }, this.#s.key, m.id);
      if (removed.length > 0) this.#log.info({ event: 'snapshots_pruned', removed }, `pruned ${removed.length} snapshot(s)`);
      report = { ok: true, trigger, last_snapshot: m.id, at, sessions: m.session_count, config_version: m.config_version, duration_ms: t.ms };
    } catch (err) {
      const error = describeError(err);
      if (err instanceof BulwarkError && err.code === ErrorCodes.FLEET_NOT_LEADER) {
        // A fleet's follower: the leader's agent takes the fleet's snapshot; this run is done.
        this.#log.info({ event: 'snapshot_skipped', trigger, reason: err.message }, `snapshot (${trigger}) skipped: ${err.message}`);
        return this.#report({ ok: true, trigger, skipped: 'not the fleet leader', last_snapshot: null, at });
      }
      this.#log.error({ event: 'snapshot_failed', trigger, error }, `snapshot (${trigger}) failed: ${error}`);
      report = { ok: false, trigger, last_snapshot: null, at, error };
    }
    await this.#report(report);
  }

  async #report(report: Record<string, unknown>): Promise<void> {
    const dir = this.#s.backup.dir;
    const listed = await listSnapshots(dir).catch(() => undefined);
    // A failed run still names the newest snapshot there is (an earlier run's, or a previous agent's).
    report['last_snapshot'] ??= listed?.find((l) => l.manifest !== undefined)?.id ?? this.#lastSnapshot ?? null;
    try {
      await this.#client.report({ ...report, snapshot_count: listed?.length ?? null, dir, pid: process.pid });
    } catch (err) {
      this.#log.warn({ event: 'report_failed', error: describeError(err) }, `could not report to the admin API: ${describeError(err)}`);
    }
  }
}
