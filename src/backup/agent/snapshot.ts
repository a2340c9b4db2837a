/**
 * @module backup/agent/snapshot
 * Taking a snapshot through the admin API (GET /config, GET /sessions/export, then the
 * storage library's createSnapshot), shared by the agent and `bulwark backup create`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSnapshot, listSnapshots, planRetention, prune, type Manifest, type RetentionPolicy } from '../index.js';
import { decodeNdjson, describeProblem } from '../../balancer/sticky/index.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';
import { errorText, type AdminClient } from '../../admin/client.js';
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
  // In a fleet the leader's term comes first: its token fences the write (backup/fence).
  const fleet = s.config.fleet === undefined ? undefined : await fleetPart(client);
  const [config, ndjson] = await Promise.all([client.config(), fleet?.sessions ?? client.exportSessions()]);
  const { entries: sessions, problems } = decodeNdjson(ndjson);
  // The proxy wrote every line with the same codec: a bad one means a broken transfer.
  if (problems.length > 0) throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `GET ${fleet ? '/fleet/snapshot' : '/sessions/export'}: ${describeProblem(problems[0]!)}`);
  const fence = fleet && { node: fleet.node, token: fleet.token };
  // A fleet running a pushed config: that is the config to keep (the leader's own file only bootstraps it).
  const shared = fleet?.config;
  const input = {
    configText: shared?.text ?? config.text,
    configVersion: shared?.version ?? config.version,
    sessions,
    key: s.key,
    ...(fence ? { fence } : {}),
    ...(shared ? { configSource: 'fleet' as const } : {}),
  };
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
 * GET /fleet/snapshot: the fleet's pins and the leader's term. A node that does not lead
 * answers 409, thrown as BLWK_FLEET_NOT_LEADER (the agent skips the run; `create` fails).
 */
async function fleetPart(client: AdminClient): Promise<{ node: string; token: number; sessions: string; config: { version: number; text: string } | undefined }> {
  const r = await client.fleetSnapshot();
  if (r.status === 409) throw new BulwarkError(ErrorCodes.FLEET_NOT_LEADER, errorText(r.text));
  const body = r.status === 200 ? (JSON.parse(r.text) as Record<string, unknown>) : undefined;
  if (body === undefined || typeof body['node'] !== 'string' || !Number.isSafeInteger(body['token']) || typeof body['sessions'] !== 'string') {
    throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `admin API GET ${client.url}/fleet/snapshot answered ${r.status}: ${errorText(r.text)}`);
  }
  const c = body['config'];
  const config = typeof c === 'object' && c !== null && Number.isSafeInteger((c as { version?: unknown }).version) && typeof (c as { text?: unknown }).text === 'string' ? (c as { version: number; text: string }) : undefined;
  return { node: body['node'], token: body['token'] as number, sessions: body['sessions'], config };
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
  const leader = m.fleet ? `, fleet leader ${m.fleet.node} (term ${m.fleet.token})` : '';
  out(`created snapshot ${m.id} in ${s.backup.dir}: config version ${m.config_version}, ${m.session_count} sessions, ${t.bytes} bytes${m.encrypted ? ', encrypted' : ''}${leader} (${t.ms} ms)`);
  return 0;
}
