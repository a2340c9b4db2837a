/**
 * @module backup/agent/snapshot
 * Taking a snapshot through the admin API (GET /config, GET /sessions/export, then the
 * storage library's createSnapshot), shared by the agent and `bulwark backup create`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSnapshot, listSnapshots, planRetention, prune, type Manifest, type RetentionPolicy } from '../index.js';
import { decodeNdjson, describeProblem } from '../../balancer/sticky/index.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';
import type { AdminClient } from '../../admin/client.js';
import { snapshotBytes } from './catalog.js';
import { requireWriteKey, type BackupSettings } from './settings.js';

export interface Taken {
  readonly manifest: Manifest;
  /** From the first admin request to the snapshot on disk. */
  readonly ms: number;
  /** The snapshot's size on disk, as `bulwark backup list` shows it. */
  readonly bytes: number;
  /** The running config's text, as snapshotted, and its file as the proxy names it. */
  readonly configText: string;
  readonly configFile: string;
}

/**
 * Snapshots the running config and session table into backup.dir. While another process
 * holds the directory's lock it retries for up to `lockWaitMs`, then fails naming the holder.
 */
export async function takeSnapshot(client: AdminClient, s: BackupSettings, lockWaitMs = 5000): Promise<Taken> {
  requireWriteKey(s);
  const t0 = performance.now();
  const [config, ndjson] = await Promise.all([client.config(), client.exportSessions()]);
  const { entries: sessions, problems } = decodeNdjson(ndjson);
  // The proxy wrote every line with the same codec: a bad one means a broken transfer.
  if (problems.length > 0) throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `GET /sessions/export: ${describeProblem(problems[0]!)}`);
  const input = { configText: config.text, configVersion: config.version, sessions, key: s.key };
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const manifest = await createSnapshot(s.backup.dir, input);
      const bytes = await snapshotBytes(s.backup.dir, manifest.id);
      return { manifest, ms: Math.round(performance.now() - t0), bytes, configText: config.text, configFile: config.file };
    } catch (err) {
      const locked = err instanceof BulwarkError && err.code === ErrorCodes.BACKUP_LOCKED;
      if (!locked || Date.now() >= deadline) throw err;
      await sleep(100);
    }
  }
}

/**
 * Prunes `dir` when the policy has something to remove. prune() verifies the newest valid
 * snapshot in full (100k sessions: ~0.1 s), so the agent first plans from the manifests alone and
 * skips it when that plan keeps everything: the only difference is that a damaged snapshot
 * whose manifest still reads is removed by a later prune. `justWritten`: the snapshot the
 * caller just took, not read back (see PruneOptions). Returns the ids removed.
 */
export async function pruneIfDue(dir: string, policy: RetentionPolicy, key: string | undefined, justWritten?: string): Promise<string[]> {
  const listed = await listSnapshots(dir);
  const plan = planRetention(
    listed.map((l) => ({ id: l.id, time: l.time, valid: l.manifest !== undefined })),
    { ...policy, now: Date.now() },
  );
  return plan.remove.length === 0 ? [] : (await prune(dir, policy, { key, justWritten })).removed;
}

/** `bulwark backup create`: one snapshot now. */
export async function createCommand(client: AdminClient, s: BackupSettings, out: (line: string) => void): Promise<number> {
  const t = await takeSnapshot(client, s);
  const m = t.manifest;
  out(`created snapshot ${m.id} in ${s.backup.dir}: config version ${m.config_version}, ${m.session_count} sessions, ${t.bytes} bytes${m.encrypted ? ', encrypted' : ''} (${t.ms} ms)`);
  return 0;
}
