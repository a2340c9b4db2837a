/**
 * @module runtime/backup-startup
 * What `bulwark start` does when `backup:` is configured, once its listeners are bound:
 * restore the sticky-session tables from the newest snapshot that verifies (so affinity
 * survives a restart), warning about each newer one that does not and why. It cannot fail
 * the start: problems are logged. (The agent itself: runtime/backup-sidecar.)
 */
import type pino from 'pino';
import { newestValid, readSnapshot } from '../backup/index.js';
import type { BackupConfig } from '../core/config.js';
import type { ProxyState } from '../proxy/state.js';
import { importEntries } from './sessions.js';
import { describeError } from '../backup/agent/errors.js';
import { backupKey } from '../backup/agent/settings.js';

export interface RestoreDeps {
  readonly backup: BackupConfig;
  readonly state: () => ProxyState;
  readonly logger: pino.Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Loads the newest valid snapshot's sessions (replace) straight into the tables, as POST
 * /sessions/import does once it has decoded its text. Returns that snapshot's id
 * (undefined: none verifies, or the folder cannot be read).
 */
export async function restoreSessionsAtStartup(d: RestoreDeps): Promise<string | undefined> {
  const { backup, logger: log } = d;
  const key = backupKey(backup, d.env ?? process.env);
  try {
    const found = await newestValid(backup.dir, { key });
    for (const s of found.skipped) {
      log.warn({ event: 'backup_snapshot_skipped', id: s.id, problems: s.problems }, `startup restore: skipping snapshot ${s.id} in ${backup.dir}: ${s.problems.join('; ')}`);
    }
    if (found.id === undefined) {
      const why = found.skipped.length === 0 ? 'no snapshots yet' : 'none of its snapshots verifies';
      log.info({ event: 'backup_restore_none', dir: backup.dir }, `startup restore: ${why} in ${backup.dir}; sessions start empty`);
      return undefined;
    }
    const data = await readSnapshot(backup.dir, found.id, { key });
    const r = importEntries(d.state(), data.sessions, 'replace');
    if (!r.ok) {
      log.info({ event: 'backup_restore_none', id: found.id, reason: r.error }, `startup restore: sessions of snapshot ${found.id} not loaded: ${r.error}`);
      return found.id;
    }
    log.info(
      { event: 'backup_sessions_restored', id: found.id, sessions: data.sessions.length, upstreams: (r.body as { upstreams?: unknown }).upstreams },
      `startup restore: loaded ${data.sessions.length} session(s) from snapshot ${found.id}`,
    );
    return found.id;
  } catch (err) {
    log.warn({ event: 'backup_restore_failed', dir: backup.dir, error: describeError(err) }, `startup restore from ${backup.dir} failed: ${describeError(err)}`);
    return undefined;
  }
}
