/**
 * @module backup/store
 * Writing and listing snapshots.
 *
 * `createSnapshot` is atomic: under the directory lock it writes every part, then the
 * manifest, into `<dir>/.tmp-<id>/` (each file fsynced, then the folder), renames that folder
 * to `<dir>/<id>/` and fsyncs `<dir>`. A crash at any point leaves earlier snapshots as they
 * were and at most a `.tmp-*` folder, which listing ignores and the next create/prune removes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { entryProblem, type StickyEntry } from '../balancer/sticky/index.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { encryptPart, newEncryption } from './crypto.js';
import { checkFence, commitFence, type FenceToken } from './fence.js';
import { errnoCode, fsError, removeTempFolders, syncDir, writeDurable } from './files.js';
import { FORMAT_VERSION, idTime, makeId, MANIFEST_FILE, newestFirst, partFile, sha256Hex, TMP_PREFIX } from './format.js';
import type { Manifest, PartInfo, PartName } from './format.js';
import { acquireLock } from './lock.js';
import { manifestText, parseManifest, sealManifest, type ManifestCheck } from './manifest.js';
import { encodeSessions } from './sessions.js';

export interface SnapshotInput {
  /** The running config file's text (non-empty). */
  readonly configText: string;
  /** The config version it had (the admin API's `config.version`). */
  readonly configVersion: number;
  readonly sessions: readonly StickyEntry[];
  /** Encrypts the parts with a key derived from this string (passphrase or key). */
  readonly key?: string;
  /** Epoch ms; Date.now by default. */
  readonly now?: () => number;
  /**
   * A fleet snapshot: the leader's node and fencing token. Refused (BLWK_BACKUP_FENCED) when
   * `dir` already committed a higher token; recorded in the manifest and in `dir`'s fence.
   */
  readonly fence?: FenceToken;
  /** With `fence`: 'fleet' when configText is the fleet's pushed config (restore pushes it back to the fleet). */
  readonly configSource?: 'fleet';
}

export interface SnapshotListing {
  readonly id: string;
  readonly time: Date;
  /** Undefined when the manifest is missing or unreadable; `error` then says why. */
  readonly manifest: Manifest | undefined;
  readonly error?: string;
}

function badInput(msg: string): never {
  throw new BulwarkError(ErrorCodes.BACKUP_INPUT, `cannot create a snapshot: ${msg}`);
}

function checkInput(input: SnapshotInput): void {
  if (typeof input.configText !== 'string' || input.configText.length === 0) badInput('configText must be a non-empty string');
  if (!Number.isSafeInteger(input.configVersion) || input.configVersion < 0) badInput('configVersion must be a whole number');
  if (!Array.isArray(input.sessions)) badInput('sessions must be an array');
  input.sessions.forEach((s, i) => {
    const problem = entryProblem(s);
    if (problem !== undefined) badInput(`sessions[${i}]: ${problem}`);
  });
  if (input.key !== undefined && (typeof input.key !== 'string' || input.key.length === 0)) badInput('key must be a non-empty string');
  const f = input.fence;
  if (f !== undefined && (typeof f.node !== 'string' || f.node.length === 0 || !Number.isSafeInteger(f.token) || f.token < 1)) badInput('fence must be { node, token } (token a whole number from 1)');
}

/** Writes a new snapshot into `dir` (created if missing) and returns its manifest. */
export async function createSnapshot(dir: string, input: SnapshotInput): Promise<Manifest> {
  checkInput(input);
  const now = (input.now ?? Date.now)();
  if (!Number.isFinite(now) || now < 0) badInput(`now() returned ${now}, not a time`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsError(err, 'create the backup directory', dir);
  }
  const release = await acquireLock(dir);
  try {
    await removeTempFolders(dir);
    // Checked and committed under the lock, so no higher token can land in between (backup/fence).
    if (input.fence !== undefined) await checkFence(dir, input.fence);
    const manifest = await writeSnapshot(dir, makeId(now, randomBytes(2).toString('hex')), input);
    if (input.fence !== undefined) await commitFence(dir, input.fence, manifest.id);
    return manifest;
  } finally {
    await release();
  }
}

async function writeSnapshot(dir: string, id: string, input: SnapshotInput): Promise<Manifest> {
  const tmp = join(dir, TMP_PREFIX + id);
  const encrypted = input.key !== undefined;
  try {
    await mkdir(tmp, { mode: 0o700 });
    const enc = encrypted ? await newEncryption(input.key!) : undefined;
    const plain: Record<PartName, Buffer> = { config: Buffer.from(input.configText, 'utf8'), sessions: encodeSessions(input.sessions) };
    const parts = {} as Record<PartName, PartInfo>;
    for (const part of ['config', 'sessions'] as const) {
      const file = partFile(part, encrypted);
      const stored = enc ? encryptPart(plain[part], enc.key, id, part) : plain[part];
      await writeDurable(join(tmp, file), stored);
      parts[part] = { file, bytes: stored.length, sha256: sha256Hex(stored) };
    }
    const manifest = sealManifest({
      format_version: FORMAT_VERSION,
      id,
      created_at: idTime(id)!.toISOString(),
      config_version: input.configVersion,
      session_count: input.sessions.length,
      encrypted,
      ...(enc ? { encryption: enc.info } : {}),
      parts,
      ...(input.fence ? { fleet: { node: input.fence.node, token: input.fence.token, ...(input.configSource ? { config: input.configSource } : {}) } } : {}),
    });
    await writeDurable(join(tmp, MANIFEST_FILE), manifestText(manifest));
    await syncDir(tmp);
    await rename(tmp, join(dir, id));
    await syncDir(dir);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw fsError(err, `write snapshot ${id} in`, dir);
  }
}

/** Reads and checks `<dir>/<id>/manifest.json`. */
export async function loadManifest(dir: string, id: string): Promise<ManifestCheck> {
  try {
    return parseManifest(await readFile(join(dir, id, MANIFEST_FILE), 'utf8'), id);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT') return { problems: [`${MANIFEST_FILE}: unreadable (${code ?? String(err)})`], damaged: false };
    const folder = await stat(join(dir, id)).catch(() => undefined);
    if (folder?.isDirectory() !== true) return { problems: [`snapshot ${id}: not found in ${dir}`], damaged: false };
    return { problems: [`${MANIFEST_FILE}: missing`], damaged: true };
  }
}

/** Every snapshot folder in `dir`, newest first; a missing `dir` has none. */
export async function listSnapshots(dir: string): Promise<SnapshotListing[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw fsError(err, 'list', dir);
  }
  const listed: SnapshotListing[] = [];
  for (const entry of entries) {
    const time = entry.isDirectory() ? idTime(entry.name) : undefined;
    if (time === undefined) continue;
    const check = await loadManifest(dir, entry.name);
    listed.push(check.manifest ? { id: entry.name, time, manifest: check.manifest } : { id: entry.name, time, manifest: undefined, error: check.problems.join('; ') });
  }
  return listed.sort(newestFirst);
}
