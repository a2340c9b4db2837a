import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createSnapshot, listSnapshots, readSnapshot, verifySnapshot, FORMAT_VERSION, prune } from '../../../src/backup/index.js';
import { sha256Hex } from '../../../src/backup/format.js';
import { at, CONFIG_TEXT, makeSessions, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();

describe('createSnapshot / readSnapshot round trip', () => {
  it('plain: writes the three files, a manifest that describes them, and reads back the same data', async () => {
    const dir = await tempDir();
    const sessions = makeSessions(50);
    const m = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 7, sessions, now: () => at(0) + 123 });
    expect(m.id).toMatch(/^20261128T100000123Z-[0-9a-f]{4}$/);
    expect(m).toMatchObject({ format_version: FORMAT_VERSION, created_at: '2026-11-28T10:00:00.123Z', config_version: 7, session_count: 50, encrypted: false });
    expect(m.encryption).toBeUndefined();
    expect((await readdir(join(dir, m.id))).sort()).toEqual(['config.yaml', 'manifest.json', 'sessions.ndjson']);
    for (const part of ['config', 'sessions'] as const) {
      const onDisk = await readFile(join(dir, m.id, m.parts[part].file));
      expect(m.parts[part]).toEqual({ file: m.parts[part].file, bytes: onDisk.length, sha256: sha256Hex(onDisk) });
    }
    expect(await readFile(join(dir, m.id, 'config.yaml'), 'utf8')).toBe(CONFIG_TEXT);
    const ndjson = await readFile(join(dir, m.id, 'sessions.ndjson'), 'utf8');
    expect(ndjson.split('\n')).toHaveLength(51);
    expect(JSON.parse(ndjson.split('\n')[0]!)).toEqual(sessions[0]);
    expect(JSON.parse(await readFile(join(dir, m.id, 'manifest.json'), 'utf8'))).toEqual(m);
    const back = await readSnapshot(dir, m.id);
    expect(back).toEqual({ manifest: m, configText: CONFIG_TEXT, sessions });
    expect(await readdir(dir)).toEqual([m.id]); // no lock, no temp folder left
  });

  it('encrypted: parts are .enc, hold no plaintext, and read back the same with the key', async () => {
    const dir = await tempDir();
    const sessions = makeSessions(20);
    const m = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 3, sessions, key: 'correct horse battery staple', now: () => at(0) });
    expect(m.encrypted).toBe(true);
    expect(m.encryption).toMatchObject({ cipher: 'aes-256-gcm', kdf: 'scrypt' });
    expect(m.encryption!.salt).toMatch(/^[0-9a-f]{32}$/);
    expect((await readdir(join(dir, m.id))).sort()).toEqual(['config.yaml.enc', 'manifest.json', 'sessions.ndjson.enc']);
    const stored = Buffer.concat([await readFile(join(dir, m.id, 'config.yaml.enc')), await readFile(join(dir, m.id, 'sessions.ndjson.enc'))]);
    expect(stored.includes('listen')).toBe(false);
    expect(stored.includes('sess-')).toBe(false);
    expect(m.parts.config.bytes).toBe(Buffer.byteLength(CONFIG_TEXT) + 28); // iv + tag
    expect(await readSnapshot(dir, m.id, { key: 'correct horse battery staple' })).toEqual({ manifest: m, configText: CONFIG_TEXT, sessions });
  });

  it('encrypting the same data twice gives different bytes (fresh salt and IVs)', async () => {
    const dir = await tempDir();
    const input = { configText: CONFIG_TEXT, configVersion: 1, sessions: makeSessions(3), key: 'k' };
    const a = await createSnapshot(dir, { ...input, now: () => at(0) });
    const b = await createSnapshot(dir, { ...input, now: () => at(1) });
    expect(a.encryption!.salt).not.toBe(b.encryption!.salt);
    expect(a.parts.config.sha256).not.toBe(b.parts.config.sha256);
  });

  it('an empty session table round-trips', async () => {
    const dir = await tempDir();
    const m = await createSnapshot(dir, { configText: 'x: 1\n', configVersion: 0, sessions: [] });
    expect(m.parts.sessions.bytes).toBe(0);
    expect(await readSnapshot(dir, m.id)).toMatchObject({ configText: 'x: 1\n', sessions: [] });
  });

  it('100k sessions round-trip, plain and encrypted (timings logged, not asserted)', async () => {
    const dir = await tempDir();
    const sessions = makeSessions(100_000);
    for (const key of [undefined, 'a passphrase']) {
      const t0 = performance.now();
      const m = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 9, sessions, ...(key ? { key } : {}), now: () => at(key ? 1 : 0) });
      const t1 = performance.now();
      const back = await readSnapshot(dir, m.id, { key });
      const t2 = performance.now();
      expect(back.sessions).toHaveLength(100_000);
      expect(back.sessions).toEqual(sessions);
      expect(back.configText).toBe(CONFIG_TEXT);
      console.log(
        `backup: 100k sessions ${key ? 'encrypted' : 'plain'} (${(m.parts.sessions.bytes / 1e6).toFixed(1)} MB): ` +
          `write ${(t1 - t0).toFixed(0)} ms, verify+read ${(t2 - t1).toFixed(0)} ms` +
          (key ? ' (each includes one ~0.1 s scrypt key derivation)' : ''),
      );
    }
  });
});

describe('createSnapshot input and directory', () => {
  it('creates a missing directory (nested)', async () => {
    const dir = join(await tempDir(), 'a', 'b', 'backups');
    const m = await createSnapshot(dir, { configText: 'x', configVersion: 1, sessions: [] });
    expect((await stat(join(dir, m.id))).isDirectory()).toBe(true);
  });

  it.each([
    [{ configText: '' }, 'configText must be a non-empty string'],
    [{ configVersion: -1 }, 'configVersion must be a whole number'],
    [{ configVersion: 1.5 }, 'configVersion must be a whole number'],
    [{ sessions: [{ key: 'k', upstream: 'u', server: 's', expires_at: 1 }, { key: 'k', upstream: 'u', server: 's', expires_at: Number.NaN }] }, 'sessions[1]: expires_at must be a finite number (epoch ms)'],
    [{ sessions: [{ key: 1, upstream: 'u', server: 's', expires_at: 1 }] }, 'sessions[0]: key must be a string'],
    [{ sessions: [{ key: 'k', upstream: '', server: 's', expires_at: 1 }] }, 'sessions[0]: upstream must not be empty'],
    [{ key: '' }, 'key must be a non-empty string'],
  ])('refuses bad input %j: %s', async (patch, msg) => {
    const dir = await tempDir();
    const input = { configText: 'x', configVersion: 1, sessions: [], ...patch } as Parameters<typeof createSnapshot>[1];
    await expect(createSnapshot(dir, input)).rejects.toMatchObject({ code: 'BLWK_BACKUP_INPUT', message: `cannot create a snapshot: ${msg}` });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('listSnapshots', () => {
  it('lists newest first, ignores temp folders, the lock and stray files, and reports unreadable manifests', async () => {
    const dir = await tempDir();
    const ids: string[] = [];
    for (const minute of [5, 1, 3]) ids.push((await createSnapshot(dir, { configText: 'x', configVersion: minute, sessions: [], now: () => at(minute) })).id);
    await mkdir(join(dir, '.tmp-20261128T110000000Z-abcd'));
    await mkdir(join(dir, 'not-a-snapshot'));
    await writeFile(join(dir, 'README'), 'hi');
    await writeFile(join(dir, '20261128T120000000Z-ffff'), 'a file, not a folder');
    const noManifest = '20261128T100200000Z-0000';
    await mkdir(join(dir, noManifest));
    const badManifest = '20261128T100400000Z-0000';
    await mkdir(join(dir, badManifest));
    await writeFile(join(dir, badManifest, 'manifest.json'), '{"format_version": 1, "id": ');

    const list = await listSnapshots(dir);
    expect(list.map((s) => s.id)).toEqual([ids[0], badManifest, ids[2], noManifest, ids[1]]);
    expect(list[0]!.time).toEqual(new Date(at(5)));
    expect(list[0]!.error).toBeUndefined();
    expect(list[0]!.manifest?.config_version).toBe(5);
    expect(list[1]).toEqual({ id: badManifest, time: new Date(at(4)), manifest: undefined, error: 'manifest.json: truncated or not JSON' });
    expect(list[3]).toEqual({ id: noManifest, time: new Date(at(2)), manifest: undefined, error: 'manifest.json: missing' });
  });

  it('a missing directory has no snapshots', async () => {
    expect(await listSnapshots(join(await tempDir(), 'nope'))).toEqual([]);
  });
});

describe('crash safety', () => {
  /** What a writer killed mid-way leaves: a temp folder with partial parts and no manifest. */
  async function crashedWrite(dir: string, id: string): Promise<void> {
    await mkdir(join(dir, `.tmp-${id}`));
    await writeFile(join(dir, `.tmp-${id}`, 'config.yaml'), CONFIG_TEXT);
    await writeFile(join(dir, `.tmp-${id}`, 'sessions.ndjson'), '{"key":"a","upstream":"web","ser');
  }

  it('earlier snapshots stay valid, listing ignores the leftover, and the next create removes it', async () => {
    const dir = await tempDir();
    const first = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 1, sessions: makeSessions(10), now: () => at(0) });
    await crashedWrite(dir, '20261128T100100000Z-dead');
    expect((await verifySnapshot(dir, first.id)).ok).toBe(true);
    expect((await listSnapshots(dir)).map((s) => s.id)).toEqual([first.id]);
    const second = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 2, sessions: [], now: () => at(2) });
    expect((await readdir(dir)).sort()).toEqual([first.id, second.id].sort());
  });

  it('prune removes a leftover temp folder too, and reports it', async () => {
    const dir = await tempDir();
    const first = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 1, sessions: [], now: () => at(0) });
    await crashedWrite(dir, '20261128T100100000Z-dead');
    const r = await prune(dir, { keep_last: 5, keep_within: 0 }, { now: () => at(10) });
    expect(r).toEqual({ removed: [], kept: [first.id], temp_removed: ['.tmp-20261128T100100000Z-dead'] });
    expect(await readdir(dir)).toEqual([first.id]);
  });
});
