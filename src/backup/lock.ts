/**
 * @module backup/lock
 * One writer per backup directory: `<dir>/.lock`, created with O_EXCL and holding the
 * writer's pid. A lock whose pid is no longer alive (a writer that crashed) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { LOCK_FILE } from './format.js';
import { errnoCode, fsError } from './files.js';

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** The pid in the lock file; null when the file is gone; NaN when it holds no pid. */
async function readHolder(path: string): Promise<number | null> {
  try {
    const text = await readFile(path, 'utf8');
    return /^\d+\s*$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw fsError(err, 'read the lock', path);
  }
}

/**
 * Takes the lock of `dir` (which must exist) and returns the function that releases it.
 * Throws BLWK_BACKUP_LOCKED naming the holder's pid while a live process holds it.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const pid = process.pid;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return () => releaseLock(path, pid);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsError(err, 'create the lock', path);
    }
    let holder = await readHolder(path);
    if (Number.isNaN(holder)) {
      // Possibly a writer between creating the file and writing its pid: look again shortly.
      await sleep(100);
      holder = await readHolder(path);
    }
    if (holder === null) continue;
    if (!Number.isNaN(holder) && pidAlive(holder)) {
      const who = holder === pid ? 'this process (another backup is still running in it)' : `pid ${holder}`;
      throw new BulwarkError(
        ErrorCodes.BACKUP_LOCKED,
        `backup directory ${dir} is locked by ${who}: another backup or prune is running. ` +
          `If no such process exists, remove ${path}.`,
      );
    }
    // Stale: its writer is gone. Remove it and race for a fresh one through O_EXCL again.
    await rm(path, { force: true });
  }
  throw new BulwarkError(ErrorCodes.BACKUP_LOCKED, `backup directory ${dir}: could not take the lock ${path} (it keeps changing hands)`);
}

async function releaseLock(path: string, pid: number): Promise<void> {
  // Remove it only while it is still ours.
  if ((await readHolder(path).catch(() => null)) === pid) await rm(path, { force: true });
}
