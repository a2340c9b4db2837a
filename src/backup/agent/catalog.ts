/**
 * @module backup/agent/catalog
 * `bulwark backup list`, `verify` and `prune`: what is in backup.dir, whether each snapshot
 * passes every check (manifest, each part's size and sha256, decryption, content), and
 * applying the retention policy.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../../core/format.js';
import { listSnapshots, prune, verifySnapshot } from '../index.js';
import { keyHint, type BackupSettings } from './settings.js';

export type Out = (line: string) => void;

export interface ListedSnapshot {
  readonly id: string;
  readonly time: string;
  readonly config_version: number | null;
  readonly session_count: number | null;
  readonly bytes: number;
  readonly encrypted: boolean | null;
  readonly verified: boolean;
  readonly problems: string[];
}

/** A snapshot's size on disk: the bytes of every file in its folder, manifest included. */
export async function snapshotBytes(dir: string, id: string): Promise<number> {
  const folder = join(dir, id);
  let total = 0;
  for (const name of await readdir(folder).catch(() => [] as string[])) total += (await stat(join(folder, name)).catch(() => undefined))?.size ?? 0;
  return total;
}

/** Every snapshot, newest first, verified. */
export async function inventory(s: BackupSettings): Promise<ListedSnapshot[]> {
  const out: ListedSnapshot[] = [];
  for (const l of await listSnapshots(s.backup.dir)) {
    const v = await verifySnapshot(s.backup.dir, l.id, { key: s.key });
    const m = l.manifest;
    out.push({
      id: l.id,
      time: l.time.toISOString(),
      config_version: m?.config_version ?? null,
      session_count: m?.session_count ?? null,
      bytes: await snapshotBytes(s.backup.dir, l.id),
      encrypted: m?.encrypted ?? null,
      verified: v.ok,
      problems: v.problems,
    });
  }
  return out;
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

export async function listCommand(s: BackupSettings, json: boolean, out: Out): Promise<number> {
  const rows = await inventory(s);
  if (json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out(`no snapshots in ${s.backup.dir}`);
    return 0;
  }
  const table = [['ID', 'TIME', 'VERSION', 'SESSIONS', 'SIZE', 'VERIFIED']];
  for (const r of rows) {
    const verified = r.verified ? 'yes' : `NO: ${r.problems[0] ?? 'invalid'}${r.problems.length > 1 ? ` (+${r.problems.length - 1} more)` : ''}`;
    table.push([r.id, r.time, String(r.config_version ?? '?'), String(r.session_count ?? '?'), String(r.bytes), verified]);
  }
  columns(table).forEach((l) => out(l));
  return 0;
}

/** `verify [ID]`: one snapshot, or (no id) every one. Exit 1 when any is invalid. */
export async function verifyCommand(s: BackupSettings, id: string | undefined, out: Out): Promise<number> {
  const ids = id !== undefined ? [id] : (await listSnapshots(s.backup.dir)).map((l) => l.id);
  if (ids.length === 0) {
    out(`no snapshots in ${s.backup.dir}`);
    return 0;
  }
  let bad = 0;
  for (const one of ids) {
    const v = await verifySnapshot(s.backup.dir, one, { key: s.key });
    if (v.ok) {
      out(`${one}: ok`);
      continue;
    }
    bad++;
    out(`${one}: INVALID${v.damaged ? ' (damaged)' : ''} (${join(s.backup.dir, one)})`);
    for (const p of v.problems) out(`  - ${p}`);
    const hint = keyHint(s, v.problems);
    if (hint !== undefined) out(`  ${hint}`);
  }
  out(bad === 0 ? `${ids.length} snapshot(s) verified` : `${bad} of ${ids.length} snapshot(s) invalid`);
  return bad === 0 ? 0 : 1;
}

export async function pruneCommand(s: BackupSettings, out: Out): Promise<number> {
  const { keep_last, keep_within } = s.backup;
  const r = await prune(s.backup.dir, { keep_last, keep_within }, { key: s.key });
  for (const id of r.removed) out(`removed ${id}`);
  for (const name of r.temp_removed) out(`removed leftover ${name}`);
  out(`kept ${r.kept.length} snapshot(s), removed ${r.removed.length} (keep_last ${keep_last}, keep_within ${formatDuration(keep_within)})`);
  return 0;
}
