/**
 * @module backup/files
 * Durable file-system steps for the backup store (write + fsync, fsync a folder, remove
 * leftover temp folders) and `fsError`, the one place that turns a Node fs error into a
 * BulwarkError a person can act on (permission denied, disk full, read-only, ...).
 */
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { TMP_PREFIX } from './format.js';

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const HINTS: Record<string, string> = {
  EACCES: 'permission denied (EACCES): check the owner and mode of the backup directory',
  EPERM: 'operation not permitted (EPERM): check the owner and mode of the backup directory',
  ENOSPC: 'no space left on device (ENOSPC): earlier snapshots are untouched; free space or prune old snapshots',
  EDQUOT: 'disk quota exceeded (EDQUOT): earlier snapshots are untouched; free space or prune old snapshots',
  EROFS: 'read-only file system (EROFS)',
  ENOTDIR: 'a part of the path is not a directory (ENOTDIR)',
  EEXIST: 'something else already exists at that path (EEXIST)',
  EMFILE: 'too many open files (EMFILE)',
  EIO: 'input/output error (EIO): the disk may be failing',
};

/**
 * `cannot <action> <path>: <why>` as a BulwarkError (BLWK_BACKUP_IO) with `err` as its cause.
 * A BulwarkError passes through unchanged.
 */
export function fsError(err: unknown, action: string, path: string): BulwarkError {
  if (err instanceof BulwarkError) return err;
  const code = errnoCode(err);
  const why = (code !== undefined ? HINTS[code] : undefined) ?? `${code ?? 'error'}: ${(err as Error | null)?.message ?? String(err)}`;
  return new BulwarkError(ErrorCodes.BACKUP_IO, `cannot ${action} ${path}: ${why}`, 500, { cause: err });
}

/** Creates `path` (it must not exist), writes `data` and fsyncs it before closing. */
export async function writeDurable(path: string, data: Buffer | string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs a folder so the names created, renamed or removed in it are on disk. */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; there is nothing more to do there.
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF'].includes(errnoCode(err) ?? '')) throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Removes every `.tmp-*` folder in `dir`: what a crashed (or failed) create or prune left.
 * Only call with the lock held, when no write can be in progress. Returns the names removed.
 */
export async function removeTempFolders(dir: string): Promise<string[]> {
  try {
    const names = (await readdir(dir)).filter((n) => n.startsWith(TMP_PREFIX));
    for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
    return names;
  } catch (err) {
    throw fsError(err, 'remove leftover temp folders in', dir);
  }
}
