import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { createSnapshot, listSnapshots, verifySnapshot } from '../../../src/backup/index.js';
import { at, CONFIG_TEXT, makeSessions, useTempDirs } from './fixtures.js';

// A disk that fills up while the sessions part is written: the real writer writes what fits,
// then the write fails with ENOSPC, as Node's would.
const diskFull = vi.hoisted(() => ({ onFile: undefined as string | undefined }));
vi.mock('../../../src/backup/files.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/backup/files.js')>();
  return {
    ...real,
    writeDurable: async (path: string, data: Buffer | string) => {
      if (diskFull.onFile !== undefined && path.endsWith(diskFull.onFile)) {
        await real.writeDurable(path, Buffer.from(data).subarray(0, 4096));
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      }
      return real.writeDurable(path, data);
    },
  };
});

const tempDir = useTempDirs();

describe('a full disk (ENOSPC)', () => {
  it.each(['sessions.ndjson', 'manifest.json', 'sessions.ndjson.enc'])('while writing %s: clear error, old snapshots untouched, temp removed, lock released', async (file) => {
    const dir = await tempDir();
    const old = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 1, sessions: makeSessions(10), now: () => at(0) });
    const oldManifest = await readFile(`${dir}/${old.id}/manifest.json`, 'utf8');
    diskFull.onFile = file;
    try {
      const err = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 2, sessions: makeSessions(5000), ...(file.endsWith('.enc') ? { key: 'k' } : {}), now: () => at(1) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BLWK_BACKUP_IO' });
      expect((err as Error).message).toMatch(
        new RegExp(`^cannot write snapshot 20261128T100100000Z-[0-9a-f]{4} in ${dir}: no space left on device \\(ENOSPC\\): earlier snapshots are untouched`),
      );
      expect((err as Error).cause).toMatchObject({ code: 'ENOSPC' });
    } finally {
      diskFull.onFile = undefined;
    }
    expect(await readdir(dir)).toEqual([old.id]);
    expect(await readFile(`${dir}/${old.id}/manifest.json`, 'utf8')).toBe(oldManifest);
    expect(await verifySnapshot(dir, old.id)).toMatchObject({ ok: true });
    const next = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 3, sessions: [], now: () => at(2) });
    expect((await listSnapshots(dir)).map((s) => s.id)).toEqual([next.id, old.id]);
  });
});
