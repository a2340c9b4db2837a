/**
 * @module backup/agent/restore
 * `bulwark backup restore ID|--before TIME [--only config|sessions] [--dry-run]`. Only a
 * snapshot that verifies is used. The config goes back into the conf file atomically (the
 * replaced file is kept beside it) and bulwark is asked to reload it (its file watch would
 * too); the sessions replace the running tables through POST /sessions/import?mode=replace.
 */
import { readFile } from 'node:fs/promises';
import { BackupInvalidError, findBefore, readSnapshot, type SnapshotData } from '../index.js';
import { encodeNdjson } from '../../balancer/sticky/index.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';
import { errorText, type AdminClient } from '../../admin/client.js';
import type { Out } from './catalog.js';
import { lineDiff, writeConfigAtomically } from './config-file.js';
import { describeError, usageError } from './errors.js';
import { keyHint, type BackupSettings } from './settings.js';

export interface RestoreOptions {
  readonly id: string | undefined;
  readonly before: string | undefined;
  /** Restore only this part; undefined: both. */
  readonly only: 'config' | 'sessions' | undefined;
  readonly dryRun: boolean;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** An ISO 8601 time with a zone, to the minute at least (2026-11-28T10:00Z). */
export function parseTime(text: string): Date {
  const t = ISO_TIME.test(text) ? Date.parse(text.toUpperCase()) : Number.NaN;
  if (Number.isNaN(t)) {
    throw usageError(`--before: "${text}" is not a time like 2026-11-28T10:00Z or 2026-11-28T10:00:00+01:00 (a zone, Z or an offset, is required)`);
  }
  return new Date(t);
}

async function chooseSnapshot(s: BackupSettings, o: RestoreOptions): Promise<SnapshotData> {
  let id = o.id;
  if (o.before !== undefined) {
    const time = parseTime(o.before);
    id = await findBefore(s.backup.dir, time, { key: s.key });
    if (id === undefined) throw new BulwarkError(ErrorCodes.BACKUP_NOT_FOUND, `no snapshot in ${s.backup.dir} verifies and was created at or before ${time.toISOString()} (see bulwark backup list)`);
  }
  try {
    return await readSnapshot(s.backup.dir, id!, { key: s.key });
  } catch (err) {
    if (!(err instanceof BackupInvalidError)) throw err;
    if (err.problems.length === 1 && err.problems[0]!.startsWith(`snapshot ${id}: not found`)) {
      throw new BulwarkError(ErrorCodes.BACKUP_NOT_FOUND, `there is no snapshot ${id} in ${s.backup.dir} (see bulwark backup list)`);
    }
    const hint = keyHint(s, err.problems);
    throw new BulwarkError(ErrorCodes.BACKUP_INVALID, `refusing to restore snapshot ${id}: it does not verify:\n${err.problems.map((p) => `  - ${p}`).join('\n')}${hint ? `\n${hint}` : ''}`);
  }
}

function perUpstream(data: SnapshotData): string {
  const counts = new Map<string, number>();
  for (const e of data.sessions) counts.set(e.upstream, (counts.get(e.upstream) ?? 0) + 1);
  return [...counts].map(([u, n]) => `${u}: ${n}`).join(', ') || 'none';
}

/** A fleet snapshot of a pushed fleet config goes back as the fleet's config (POST /fleet/config), not into one node's file. */
async function pushFleetConfig(data: SnapshotData, client: () => AdminClient, out: Out): Promise<number> {
  const admin = client();
  const r = await admin.fleetConfig(data.configText, `snapshot ${data.manifest.id}`);
  if (r.status === 200) {
    const body = JSON.parse(r.text) as { version?: number };
    out(`config: pushed to the fleet through ${admin.url} as fleet config version ${body.version ?? '?'} (fleet config version ${data.manifest.config_version} in the snapshot)`);
    return 0;
  }
  out(`config: the fleet at ${admin.url} refused the snapshot's fleet config (${r.status}); nothing was stored:\n  ${errorText(r.text)}`);
  return 1;
}

async function restoreConfig(s: BackupSettings, data: SnapshotData, client: () => AdminClient, out: Out): Promise<number> {
  if (data.manifest.fleet?.config === 'fleet') return pushFleetConfig(data, client, out);
  const current = await readFile(s.file, 'utf8').catch(() => undefined);
  if (current === data.configText) {
    out(`config: ${s.file} already holds this config; not rewritten`);
    return 0;
  }
  const bak = await writeConfigAtomically(s.file, data.configText, new Date());
  out(`config: wrote ${s.file}${bak === undefined ? '' : ` (the replaced file is kept as ${bak})`}`);
  let admin: AdminClient;
  let r;
  try {
    admin = client();
    r = await admin.reload();
  } catch (err) {
    out(`config: bulwark was not asked to reload (${describeError(err)}); a running bulwark applies the file when it sees it change, otherwise at its next start`);
    return 0;
  }
  if (r.status === 200) {
    const body = JSON.parse(r.text) as { result?: string; version?: number };
    out(`config: bulwark at ${admin.url} reloaded it: ${body.result ?? 'ok'}, config version ${body.version ?? '?'}`);
    return 0;
  }
  out(`config: bulwark at ${admin.url} rejected the restored config (${r.status}); it keeps running its current one:\n  ${errorText(r.text)}`);
  return 1;
}

async function restoreSessions(data: SnapshotData, client: () => AdminClient, out: Out): Promise<number> {
  const admin = client();
  const r = await admin.importSessions(encodeNdjson(data.sessions), 'replace');
  if (r.status === 409 && data.sessions.length === 0) {
    out('sessions: none in the snapshot and no sticky upstream running: nothing to import');
    return 0;
  }
  if (r.status !== 200) throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `sessions: POST ${admin.url}/sessions/import?mode=replace answered ${r.status}: ${errorText(r.text)}`);
  const body = JSON.parse(r.text) as { upstreams?: Record<string, { imported?: number; expired?: number; size?: number }> };
  const parts = Object.entries(body.upstreams ?? {}).map(([u, c]) => `${u}: ${c.imported ?? 0} imported, ${c.expired ?? 0} expired, table size ${c.size ?? '?'}`);
  out(`sessions: replaced the tables of bulwark at ${admin.url} with ${data.sessions.length} entries (${parts.join('; ') || 'no sticky upstream'})`);
  return 0;
}

export async function restoreCommand(s: BackupSettings, o: RestoreOptions, client: () => AdminClient, out: Out): Promise<number> {
  const t0 = performance.now();
  const data = await chooseSnapshot(s, o);
  const m = data.manifest;
  const config = o.only !== 'sessions';
  const sessions = o.only !== 'config';
  out(`snapshot ${m.id}: created ${m.created_at}, config version ${m.config_version}, ${m.session_count} sessions`);
  if (o.dryRun) {
    if (config && data.manifest.fleet?.config === 'fleet') out(`config: the snapshot's fleet config (version ${m.config_version}) would be pushed to the fleet (POST /fleet/config)`);
    else if (config) {
      const current = (await readFile(s.file, 'utf8').catch(() => undefined)) ?? '';
      const diff = current === data.configText ? [] : lineDiff(current, data.configText);
      out(diff.length === 0 ? `config: ${s.file} already holds this config` : `config: changes to ${s.file}:\n--- ${s.file} (now)\n+++ snapshot ${m.id}`);
      diff.forEach((l) => out(l));
    }
    if (sessions) out(`sessions: ${data.sessions.length} would replace the running tables (${perUpstream(data)})`);
    out('dry run: nothing was changed');
    return 0;
  }
  let code = 0;
  if (config) code = Math.max(code, await restoreConfig(s, data, client, out));
  if (sessions) code = Math.max(code, await restoreSessions(data, client, out));
  out(`restore of ${m.id} ${code === 0 ? 'done' : 'FAILED'} (${Math.round(performance.now() - t0)} ms)`);
  return code;
}
