import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSnapshot, listSnapshots, prune } from '../../../src/backup/index.js';
import { acquireLock } from '../../../src/backup/lock.js';
import { at, deadPid, liveProcess, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();
const input = { configText: 'x: 1\n', configVersion: 1, sessions: [], now: () => at(0) };

describe('the directory lock', () => {
  it('a second writer fails while a live process holds the lock, naming its pid; nothing is written', async () => {
    const dir = await tempDir();
    const holder = liveProcess();
    try {
      await writeFile(join(dir, '.lock'), `${holder.pid}\n`);
      const err = await createSnapshot(dir, input).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BLWK_BACKUP_LOCKED' });
      expect((err as Error).message).toBe(
        `backup directory ${dir} is locked by pid ${holder.pid}: another backup or prune is running. If no such process exists, remove ${join(dir, '.lock')}.`,
      );
      await expect(prune(dir, { keep_last: 1, keep_within: 0 })).rejects.toMatchObject({ code: 'BLWK_BACKUP_LOCKED' });
      expect(await readdir(dir)).toEqual(['.lock']);
      expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${holder.pid}\n`); // not ours to remove
    } finally {
      holder.kill();
    }
  });

  it('a stale lock (its pid is dead) is taken over, and released afterwards', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '.lock'), `${await deadPid()}\n`);
    const m = await createSnapshot(dir, input);
    expect(await readdir(dir)).toEqual([m.id]);
  });

  it('a lock file without a pid (left half-written) is taken over', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '.lock'), '');
    const m = await createSnapshot(dir, input);
    expect(await readdir(dir)).toEqual([m.id]);
  });

  it('a create while this process holds the lock (another create or prune still running in it) is refused; after the release it writes', async () => {
    const dir = await tempDir();
    // The lock taken as a running create takes it: two creates started together raced (the
    // first could finish before the second looked), so the holder is made explicit here.
    const release = await acquireLock(dir);
    const refused = await createSnapshot(dir, { ...input, key: 'k' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BLWK_BACKUP_LOCKED', message: expect.stringContaining('locked by this process') });
    expect(await readdir(dir)).toEqual(['.lock']);
    await release();
    await createSnapshot(dir, { ...input, key: 'k' });
    expect(await listSnapshots(dir)).toHaveLength(1);
    expect(await readdir(dir)).not.toContain('.lock');
  });
});
