/**
 * @module runtime/backup-sidecar
 * The backup sidecar over the life of `bulwark start`: at start, the startup restore and
 * the supervised agent; on every applied reload, the agent started, stopped or reconfigured
 * to match the new `backup:` block (no restart of bulwark needed); and the `backup` section
 * of /status: the agent's last report, the newest snapshot on disk (known from the start,
 * before any report), and whether the agent is stalled (also logged, as the stall watch's
 * events). `keyProblem` is the check that refuses, at start and on reload, a config whose
 * `encrypt_key_env` names an unset variable: every snapshot would fail.
 */
import type pino from 'pino';
import { newestValid } from '../backup/index.js';
import type { BackupConfig, BulwarkConfig } from '../core/config.js';
import type { ProxyState } from '../proxy/state.js';
import { same } from '../config/index.js';
import { backupKey } from '../backup/agent/settings.js';
import { restoreSessionsAtStartup } from './backup-startup.js';
import type { StallChange } from '../backup/agent/stall.js';
import { BackupSupervisor } from '../backup/agent/supervisor.js';
import type { Alerts } from './alerts/index.js';

/** Why `config` cannot run its backups in `env` (its key variable is unset), or undefined. */
export function keyProblem(config: BulwarkConfig, file: string, env: NodeJS.ProcessEnv): string | undefined {
  const name = config.backup?.encrypt_key_env;
  if (name === undefined || env[name]) return undefined;
  return `${file}: backup.encrypt_key_env: names ${name}, which is not set or empty: every snapshot would fail (set ${name} to the encryption key, or remove backup.encrypt_key_env)`;
}

export interface SidecarDeps {
  readonly configFile: string;
  readonly logger: pino.Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly state: () => ProxyState;
  /** Failed runs and stalls go out as backup_failed and backup_stalled alerts. */
  readonly alerts?: Pick<Alerts, 'emit'>;
  /**
   * A fleet node (`fleet:`; it needs a restart to change): no startup restore. The fleet's
   * sessions live in Redis, and pins loaded from a snapshot would be local hits that win
   * over newer pins in Redis; a fresh fleet is restored with `bulwark backup restore`.
   */
  readonly fleet?: boolean;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export class BackupSidecar {
  readonly #d: SidecarDeps;
  #config: BackupConfig | undefined;
  #supervisor: BackupSupervisor | undefined;
  #adminUrl = '';
  #report: Record<string, unknown> | undefined;
  /** The newest valid snapshot found when the agent was started (before it reports). */
  #newest: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Runs reported since start, for the metrics (kept across reloads and agent restarts). */
  readonly #runs: { ok: number; failed: number; lastSuccessAt: number | undefined } = { ok: 0, failed: 0, lastSuccessAt: undefined };

  constructor(d: SidecarDeps) {
    this.#d = d;
  }

  /** At start, once the admin API is bound: restore sessions, then start the agent. */
  async start(backup: BackupConfig | undefined, adminUrl: string): Promise<void> {
    this.#adminUrl = adminUrl;
    if (backup === undefined) return;
    const { logger, state, env } = this.#d;
    if (this.#d.fleet === true) {
      logger.info({ event: 'backup_restore_skipped', dir: backup.dir }, 'startup restore: skipped on a fleet node (its sessions are read from Redis)');
      this.#newest = (await newestValid(backup.dir, { key: backupKey(backup, env) }).catch(() => undefined))?.id;
    } else this.#newest = await restoreSessionsAtStartup({ backup, state, logger, env });
    this.#launch(backup);
  }

  /** A reload was applied: make the agent match `next` (one change at a time). */
  apply(next: BackupConfig | undefined): Promise<void> {
    const run = this.#chain.then(() => this.#apply(next));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The agent's report (POST /backup/report; `received_at` is stamped by the admin API). */
  reported(report: Record<string, unknown>): void {
    this.#report = report;
    if (report['ok'] === true) {
      this.#runs.ok++;
      this.#runs.lastSuccessAt = Date.parse(String(report['received_at']));
    } else if (report['ok'] === false) this.#runs.failed++;
    if (report['ok'] === false) this.#d.alerts?.emit('backup_failed', { trigger: report['trigger'], reason: report['error'] });
  }

  /** Snapshot runs reported since start; undefined when no backup is configured. */
  runs(): Readonly<{ ok: number; failed: number; lastSuccessAt: number | undefined }> | undefined {
    return this.#config === undefined ? undefined : this.#runs;
  }

  /** The /status section; undefined when no backup is configured. */
  status(): Record<string, unknown> | undefined {
    if (this.#config === undefined) return undefined;
    const s = this.#supervisor;
    const reported = this.#report?.['last_snapshot'];
    return {
      ...this.#report,
      last_snapshot: typeof reported === 'string' ? reported : (this.#newest ?? null),
      stalled: s?.stall.stalledSince !== undefined,
      stalled_since: iso(s?.stall.stalledSince),
      agent: { pid: s?.pid ?? null, restarts: s?.restarts ?? 0, last_snapshot_at: iso(s?.stall.lastSnapshotAt), stall_after_ms: s?.stall.thresholdMs ?? null },
    };
  }

  async stop(): Promise<void> {
    await this.#chain;
    await this.#supervisor?.stop();
  }

  async #apply(next: BackupConfig | undefined): Promise<void> {
    const prev = this.#config;
    const log = this.#d.logger;
    if (same(prev, next) || this.#adminUrl === '') return;
    if (next === undefined) {
      log.info({ event: 'backup_agent_removed' }, 'backup: removed from the config: stopping the backup agent (after a last snapshot)');
      const s = this.#supervisor;
      this.#config = this.#supervisor = this.#report = this.#newest = undefined;
      await s?.stop();
      return;
    }
    if (prev === undefined || this.#supervisor === undefined) {
      log.info({ event: 'backup_agent_added', dir: next.dir }, `backup: added to the config: starting the backup agent (snapshots into ${next.dir})`);
      this.#newest = await this.#newestIn(next);
      return this.#launch(next);
    }
    this.#config = next;
    if (prev.dir !== next.dir) {
      this.#report = undefined;
      this.#newest = await this.#newestIn(next);
    }
    await this.#supervisor.reconfigure(next);
  }

  async #newestIn(b: BackupConfig): Promise<string | undefined> {
    return (await newestValid(b.dir, { key: backupKey(b, this.#d.env) }).catch(() => undefined))?.id;
  }

  #launch(backup: BackupConfig): void {
    const { configFile, logger, env } = this.#d;
    this.#config = backup;
    const s = new BackupSupervisor({ configFile, adminUrl: this.#adminUrl, logger, env, backup });
    s.stall.onChange((c) => this.#logStall(c));
    this.#supervisor = s;
    s.start();
  }

  #logStall(c: StallChange): void {
    const fields = { threshold_ms: c.thresholdMs, silent_ms: c.silentMs, last_snapshot_at: iso(c.lastSnapshotAt) };
    if (c.stalled) {
      this.#d.alerts?.emit('backup_stalled', { reason: `no snapshot for ${c.silentMs} ms`, ...fields });
      this.#d.logger.warn(
        { event: 'backup_agent_stalled', ...fields },
        `backup agent stalled: no snapshot for ${c.silentMs} ms (more than 2 × backup.interval + backup.timeout = ${c.thresholdMs} ms)`,
      );
    } else {
      this.#d.logger.info({ event: 'backup_agent_recovered', ...fields }, 'backup agent recovered: it reported a snapshot again');
    }
  }
}
