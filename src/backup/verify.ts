/**
 * @module backup/verify
 * Checking and reading snapshots. `verifySnapshot` checks the manifest (format version,
 * fields, its own checksum), each part's size and sha256 as stored, and then the content:
 * decrypted with the key when encrypted, config text present, sessions NDJSON parses and
 * counts what the manifest says. Each problem is one line naming the file at fault.
 * `readSnapshot` only ever returns data that passed all of that.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StickyEntry } from '../balancer/sticky/index.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { decryptPart, deriveKey } from './crypto.js';
import { errnoCode } from './files.js';
import { decodeUtf8, PART_NAMES, sha256Hex, shortHash, type Manifest, type PartInfo, type PartName } from './format.js';
import { decodeSessions } from './sessions.js';
import { listSnapshots, loadManifest } from './store.js';

export interface VerifyResult {
  readonly ok: boolean;
  readonly problems: string[];
  /**
   * True when the stored data itself is bad (missing file, size or sha256 mismatch, edited
   * manifest): the snapshot can never be restored. False when it is fine, or only the key is
   * missing or wrong, or the format is one this bulwark does not read.
   */
  readonly damaged: boolean;
}

export interface KeyOption {
  /** The key the snapshots were encrypted with; not needed for plain snapshots. */
  readonly key?: string;
}

export interface SnapshotData {
  readonly manifest: Manifest;
  readonly configText: string;
  readonly sessions: StickyEntry[];
}

interface Inspection extends VerifyResult {
  readonly data?: SnapshotData;
}

/** Thrown by readSnapshot: `problems` lists what verify found. */
export class BackupInvalidError extends BulwarkError {
  readonly problems: readonly string[];
  constructor(dir: string, id: string, problems: readonly string[]) {
    super(ErrorCodes.BACKUP_INVALID, `snapshot ${id} in ${dir} cannot be used:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BackupInvalidError';
    this.problems = problems;
  }
}

async function readPart(folder: string, info: PartInfo): Promise<{ data?: Buffer; problem?: string; damaged?: boolean }> {
  let data: Buffer;
  try {
    data = await readFile(join(folder, info.file));
  } catch (err) {
    const code = errnoCode(err);
    return code === 'ENOENT' ? { problem: `${info.file}: missing`, damaged: true } : { problem: `${info.file}: unreadable (${code ?? String(err)})` };
  }
  if (data.length < info.bytes) return { problem: `${info.file}: truncated (${data.length} bytes, manifest says ${info.bytes})`, damaged: true };
  if (data.length > info.bytes) return { problem: `${info.file}: ${data.length} bytes, manifest says ${info.bytes}`, damaged: true };
  const sha = sha256Hex(data);
  if (sha !== info.sha256) return { problem: `${info.file}: sha256 mismatch (manifest ${shortHash(info.sha256)}, file ${shortHash(sha)})`, damaged: true };
  return { data };
}

async function inspect(dir: string, id: string, key: string | undefined): Promise<Inspection> {
  const loaded = await loadManifest(dir, id);
  const m = loaded.manifest;
  if (m === undefined) return { ok: false, problems: loaded.problems, damaged: loaded.damaged };

  const problems: string[] = [];
  let damaged = false;
  const stored = new Map<PartName, Buffer>();
  for (const part of PART_NAMES) {
    const r = await readPart(join(dir, id), m.parts[part]);
    if (r.data) stored.set(part, r.data);
    else problems.push(r.problem!);
    damaged ||= r.damaged === true;
  }
  if (problems.length > 0) return { ok: false, problems, damaged };

  if (m.encrypted) {
    if (key === undefined) return { ok: false, problems: ['snapshot is encrypted: a key is needed'], damaged: false };
    const k = await deriveKey(key, m.encryption!);
    for (const part of PART_NAMES) {
      const plain = decryptPart(stored.get(part)!, k, m.id, part);
      if (plain) stored.set(part, plain);
      else problems.push(`${m.parts[part].file}: cannot decrypt: wrong key or corrupted data`);
    }
    // The sha256 of what is stored matched, so a failed decryption means the key is wrong.
    if (problems.length > 0) return { ok: false, problems, damaged: false };
  }

  const configFile = m.parts.config.file;
  const configText = decodeUtf8(stored.get('config')!);
  if (configText === undefined) problems.push(`${configFile}: not valid UTF-8 text`);
  else if (configText.length === 0) problems.push(`${configFile}: empty (no config text)`);
  const sessionsFile = m.parts.sessions.file;
  const sessionsText = decodeUtf8(stored.get('sessions')!);
  let sessions: StickyEntry[] = [];
  if (sessionsText === undefined) problems.push(`${sessionsFile}: not valid UTF-8 text`);
  else {
    const decoded = decodeSessions(sessionsText, sessionsFile);
    sessions = decoded.sessions;
    problems.push(...decoded.problems);
    if (decoded.problems.length === 0 && sessions.length !== m.session_count) {
      problems.push(`${sessionsFile}: ${sessions.length} entries, manifest says ${m.session_count}`);
    }
  }
  if (problems.length > 0) return { ok: false, problems, damaged: true };
  return { ok: true, problems, damaged: false, data: { manifest: m, configText: configText!, sessions } };
}

/** Checks snapshot `id` in `dir` and reports exactly what is wrong with it. */
export async function verifySnapshot(dir: string, id: string, opts: KeyOption = {}): Promise<VerifyResult> {
  const { ok, problems, damaged } = await inspect(dir, id, opts.key);
  return { ok, problems, damaged };
}

/** The snapshot's content; throws BackupInvalidError (BLWK_BACKUP_INVALID) when it does not verify. */
export async function readSnapshot(dir: string, id: string, opts: KeyOption = {}): Promise<SnapshotData> {
  const r = await inspect(dir, id, opts.key);
  if (!r.data) throw new BackupInvalidError(dir, id, r.problems);
  return r.data;
}

/** The newest snapshot that verifies, created at or before `time`: a recovery point. */
export async function findBefore(dir: string, time: Date, opts: KeyOption = {}): Promise<string | undefined> {
  for (const s of await listSnapshots(dir)) {
    if (s.time.getTime() <= time.getTime() && (await inspect(dir, s.id, opts.key)).ok) return s.id;
  }
  return undefined;
}

export interface NewestValid {
  /** Undefined when no snapshot verifies. */
  readonly id: string | undefined;
  readonly manifest: Manifest | undefined;
  /** Newer snapshots passed over, newest first, with why: for the caller to warn about. */
  readonly skipped: Array<{ readonly id: string; readonly problems: string[] }>;
}

/** The newest snapshot that verifies, and the newer ones that did not. */
export async function newestValid(dir: string, opts: KeyOption = {}): Promise<NewestValid> {
  const skipped: Array<{ id: string; problems: string[] }> = [];
  for (const s of await listSnapshots(dir)) {
    const r = await inspect(dir, s.id, opts.key);
    if (r.data) return { id: s.id, manifest: r.data.manifest, skipped };
    skipped.push({ id: s.id, problems: r.problems });
  }
  return { id: undefined, manifest: undefined, skipped };
}
