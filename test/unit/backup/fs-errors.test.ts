import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BulwarkError, ErrorCodes } from '../../../src/core/errors.js';
import { createSnapshot, fsError } from '../../../src/backup/index.js';
import { useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();
const input = { configText: 'x: 1\n', configVersion: 1, sessions: [] };
const errno = (code: string) => Object.assign(new Error(`${code}: something, open '/x'`), { code });

describe('fsError: fs failures as actionable BulwarkErrors', () => {
  it.each([
    ['EACCES', 'cannot create the backup directory /b: permission denied (EACCES): check the owner and mode of the backup directory'],
    ['ENOSPC', 'cannot create the backup directory /b: no space left on device (ENOSPC): earlier snapshots are untouched; free space or prune old snapshots'],
    ['EROFS', 'cannot create the backup directory /b: read-only file system (EROFS)'],
    ['EWHATEVER', "cannot create the backup directory /b: EWHATEVER: EWHATEVER: something, open '/x'"],
  ])('%s', (code, message) => {
    const cause = errno(code);
    const err = fsError(cause, 'create the backup directory', '/b');
    expect(err).toBeInstanceOf(BulwarkError);
    expect(err).toMatchObject({ code: ErrorCodes.BACKUP_IO, message, cause });
  });

  it('passes a BulwarkError through unchanged', () => {
    const e = new BulwarkError(ErrorCodes.BACKUP_LOCKED, 'locked');
    expect(fsError(e, 'x', '/y')).toBe(e);
  });
});

/**
 * Runs `fn` as a user that file modes apply to. Root bypasses them (and CI runs the suite
 * as root), so as root the process's effective uid and gid become nobody's (65534) while
 * `fn` runs, and root's again after (the real and saved uid stay 0, which allows it). The
 * kernel applies the switch to every thread, libuv's fs threads included. Without
 * seteuid (Windows) a root run fails rather than skipping the test.
 */
async function unprivileged<T>(fn: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) return fn();
  if (process.seteuid === undefined || process.setegid === undefined || process.setgroups === undefined) {
    throw new Error('running as root on a platform without seteuid: the EACCES path cannot be tested');
  }
  const groups = process.getgroups!();
  process.setgroups([65534]);
  process.setegid(65534);
  process.seteuid(65534);
  try {
    return await fn();
  } finally {
    process.seteuid(0);
    process.setegid(0);
    process.setgroups(groups);
  }
}

describe('createSnapshot on a directory it cannot use', () => {
  it('an unwritable directory (EACCES) is a clear error (as root too: the snapshot runs as nobody)', async () => {
    const parent = await tempDir();
    await chmod(parent, 0o500);
    try {
      const [nested, inside] = await unprivileged(async () => {
        expect(process.geteuid!()).not.toBe(0);
        return [await createSnapshot(join(parent, 'backups'), input).catch((e: unknown) => e), await createSnapshot(parent, input).catch((e: unknown) => e)];
      });
      expect(nested).toMatchObject({
        code: 'BLWK_BACKUP_IO',
        message: `cannot create the backup directory ${join(parent, 'backups')}: permission denied (EACCES): check the owner and mode of the backup directory`,
      });
      expect(inside).toMatchObject({ code: 'BLWK_BACKUP_IO', message: expect.stringContaining('permission denied (EACCES)') });
    } finally {
      await chmod(parent, 0o700);
    }
  });

  it('a backup path that is a file is a clear error', async () => {
    const parent = await tempDir();
    await writeFile(join(parent, 'file'), '');
    await expect(createSnapshot(join(parent, 'file'), input)).rejects.toMatchObject({
      code: 'BLWK_BACKUP_IO',
      message: `cannot create the backup directory ${join(parent, 'file')}: something else already exists at that path (EEXIST)`,
    });
    await expect(createSnapshot(join(parent, 'file', 'sub'), input)).rejects.toMatchObject({ code: 'BLWK_BACKUP_IO', message: expect.stringContaining('(ENOTDIR)') });
    await mkdir(join(parent, 'ok'));
    expect(await readdir(join(parent, 'ok'))).toEqual([]);
  });
});
