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

describe('createSnapshot on a directory it cannot use', () => {
  it.skipIf(process.getuid?.() === 0)('an unwritable directory (EACCES) is a clear error (skipped as root)', async () => {
    const parent = await tempDir();
    await chmod(parent, 0o500);
    try {
      await expect(createSnapshot(join(parent, 'backups'), input)).rejects.toMatchObject({
        code: 'BLWK_BACKUP_IO',
        message: `cannot create the backup directory ${join(parent, 'backups')}: permission denied (EACCES): check the owner and mode of the backup directory`,
      });
      await expect(createSnapshot(parent, input)).rejects.toMatchObject({ code: 'BLWK_BACKUP_IO', message: expect.stringContaining('permission denied (EACCES)') });
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
