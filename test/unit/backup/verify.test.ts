import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupInvalidError, createSnapshot, findBefore, listSnapshots, newestValid, readSnapshot, verifySnapshot, type Manifest } from '../../../src/backup/index.js';
import { sha256Hex } from '../../../src/backup/format.js';
import { manifestText, sealManifest } from '../../../src/backup/manifest.js';
import { at, CONFIG_TEXT, flipByte, makeSessions, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();
const KEY = 'the right key';

async function snapshot(dir: string, minute: number, key?: string): Promise<Manifest> {
  return createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: minute, sessions: makeSessions(30), ...(key ? { key } : {}), now: () => at(minute) });
}

/** Rewrites a snapshot's manifest with `patch` applied and a correct checksum (a consistent edit). */
async function rewriteManifest(dir: string, m: Manifest, patch: Record<string, unknown>): Promise<void> {
  const { checksum: _, ...body } = m;
  await writeFile(join(dir, m.id, 'manifest.json'), manifestText(sealManifest({ ...body, ...patch } as Omit<Manifest, 'checksum'>)));
}

async function expectRefused(dir: string, id: string, problems: string[], key?: string): Promise<void> {
  expect(await verifySnapshot(dir, id, { key })).toMatchObject({ ok: false, problems });
  const err = await readSnapshot(dir, id, { key }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackupInvalidError);
  expect(err).toMatchObject({ code: 'BLWK_BACKUP_INVALID', problems });
  for (const p of problems) expect((err as Error).message).toContain(p);
}

describe('verifySnapshot: damage is found and named', () => {
  it('a good snapshot verifies (a key given for a plain snapshot is ignored)', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    expect(await verifySnapshot(dir, m.id)).toEqual({ ok: true, problems: [], damaged: false });
    expect(await verifySnapshot(dir, m.id, { key: 'whatever' })).toEqual({ ok: true, problems: [], damaged: false });
  });

  for (const key of [undefined, KEY]) {
    for (const part of ['config', 'sessions'] as const) {
      for (const offset of [0, 40, -1]) {
        it(`one flipped byte in the ${part} part (${key ? 'encrypted' : 'plain'}, offset ${offset}) names that part`, async () => {
          const dir = await tempDir();
          const m = await snapshot(dir, 0, key);
          const file = m.parts[part].file;
          await flipByte(join(dir, m.id, file), offset);
          const actual = sha256Hex(await readFile(join(dir, m.id, file)));
          const problem = `${file}: sha256 mismatch (manifest ${m.parts[part].sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…)`;
          await expectRefused(dir, m.id, [problem], key);
          expect((await verifySnapshot(dir, m.id, { key })).damaged).toBe(true);
        });
      }
    }
  }

  it('every single flipped byte of manifest.json is detected and blamed on manifest.json', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0, KEY);
    const path = join(dir, m.id, 'manifest.json');
    const original = await readFile(path);
    for (let i = 0; i < original.length; i++) {
      for (const mask of [0x01, 0x20]) {
        const damaged = Buffer.from(original);
        damaged[i] = damaged[i]! ^ mask;
        await writeFile(path, damaged);
        const r = await verifySnapshot(dir, m.id, { key: KEY });
        if (r.ok || !r.problems.every((p) => p.startsWith('manifest.json: '))) {
          throw new Error(`byte ${i} ^ ${mask} not detected: ${JSON.stringify(r)}`);
        }
      }
    }
    await writeFile(path, original);
    expect((await verifySnapshot(dir, m.id, { key: KEY })).ok).toBe(true);
  });

  it('an edited value in the manifest is a checksum mismatch', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    const path = join(dir, m.id, 'manifest.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"config_version": 0', '"config_version": 9'));
    await expectRefused(dir, m.id, ['manifest.json: checksum mismatch: the manifest was edited or corrupted']);
  });

  it('a truncated part', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    await truncate(join(dir, m.id, 'sessions.ndjson'), 100);
    await expectRefused(dir, m.id, [`sessions.ndjson: truncated (100 bytes, manifest says ${m.parts.sessions.bytes})`]);
  });

  it('a missing part, and both parts missing', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    await rm(join(dir, m.id, 'config.yaml'));
    await expectRefused(dir, m.id, ['config.yaml: missing']);
    await rm(join(dir, m.id, 'sessions.ndjson'));
    await expectRefused(dir, m.id, ['config.yaml: missing', 'sessions.ndjson: missing']);
  });

  it('a truncated, a missing manifest, and an unknown snapshot', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    await expectRefused(dir, 'nope', [`snapshot nope: not found in ${dir}`]);
    await truncate(join(dir, m.id, 'manifest.json'), 50);
    await expectRefused(dir, m.id, ['manifest.json: truncated or not JSON']);
    await rm(join(dir, m.id, 'manifest.json'));
    await expectRefused(dir, m.id, ['manifest.json: missing']);
  });

  it('a format version out of range is refused by name (and is not counted as damage)', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    await rewriteManifest(dir, m, { format_version: 7 });
    await expectRefused(dir, m.id, ['manifest.json: format_version 7 is newer than this bulwark reads (1..2)']);
    expect((await verifySnapshot(dir, m.id)).damaged).toBe(false);
    await rewriteManifest(dir, m, { format_version: 0 });
    await expectRefused(dir, m.id, ['manifest.json: format_version 0 is older than this bulwark reads (1..2)']);
  });

  it('a manifest whose id does not match its folder', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    await rewriteManifest(dir, m, { id: '20261128T100000000Z-0000' });
    await expectRefused(dir, m.id, [`manifest.json: id 20261128T100000000Z-0000 does not match its folder ${m.id}`]);
  });

  it('content checks: a bad NDJSON line and a wrong session count, with matching checksums', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    const path = join(dir, m.id, 'sessions.ndjson');
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[1] = '{"key":"k","upstream":"web","server":"s1"}';
    lines[3] = 'not json';
    const text = Buffer.from(lines.join('\n'));
    await writeFile(path, text);
    const parts = { ...m.parts, sessions: { file: 'sessions.ndjson', bytes: text.length, sha256: sha256Hex(text) } };
    await rewriteManifest(dir, m, { parts });
    await expectRefused(dir, m.id, ['sessions.ndjson: line 2: expires_at must be a finite number (epoch ms)', 'sessions.ndjson: line 4: not JSON']);
    await writeFile(path, (await readFile(path, 'utf8')).split('\n').slice(5).join('\n'));
    const good = await readFile(path);
    await rewriteManifest(dir, m, { parts: { ...m.parts, sessions: { file: 'sessions.ndjson', bytes: good.length, sha256: sha256Hex(good) } } });
    await expectRefused(dir, m.id, ['sessions.ndjson: 25 entries, manifest says 30']);
  });

  it('a snapshot written before the one codec (expiry spelled expiresAt) still reads, every field kept', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0);
    const path = join(dir, m.id, 'sessions.ndjson');
    const sessions = makeSessions(30);
    expect(await readFile(path, 'utf8')).toBe(sessions.map((s) => `${JSON.stringify(s)}\n`).join(''));
    // What the earlier encoder wrote: the same four fields, the expiry as `expiresAt`.
    const old = Buffer.from(sessions.map((s) => `${JSON.stringify({ key: s.key, upstream: s.upstream, server: s.server, expiresAt: s.expires_at })}\n`).join(''));
    await writeFile(path, old);
    await rewriteManifest(dir, m, { parts: { ...m.parts, sessions: { file: 'sessions.ndjson', bytes: old.length, sha256: sha256Hex(old) } } });
    expect((await readSnapshot(dir, m.id)).sessions).toEqual(sessions);
  });
});

describe('encryption keys', () => {
  it('without a key: "snapshot is encrypted: a key is needed" (not damage)', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0, KEY);
    await expectRefused(dir, m.id, ['snapshot is encrypted: a key is needed']);
    expect((await verifySnapshot(dir, m.id)).damaged).toBe(false);
  });

  it('with the wrong key: "wrong key or corrupted data" for each part (not damage)', async () => {
    const dir = await tempDir();
    const m = await snapshot(dir, 0, KEY);
    const problems = ['config.yaml.enc: cannot decrypt: wrong key or corrupted data', 'sessions.ndjson.enc: cannot decrypt: wrong key or corrupted data'];
    await expectRefused(dir, m.id, problems, 'the wrong key');
    expect((await verifySnapshot(dir, m.id, { key: 'the wrong key' })).damaged).toBe(false);
  });

  it('an encrypted part moved from another snapshot (manifest re-sealed to match) does not decrypt', async () => {
    const dir = await tempDir();
    const a = await snapshot(dir, 0, KEY);
    const b = await snapshot(dir, 1, KEY);
    await writeFile(join(dir, b.id, 'sessions.ndjson.enc'), await readFile(join(dir, a.id, 'sessions.ndjson.enc')));
    await rewriteManifest(dir, b, { parts: { ...b.parts, sessions: a.parts.sessions } });
    await expectRefused(dir, b.id, ['sessions.ndjson.enc: cannot decrypt: wrong key or corrupted data'], KEY);
  });
});

describe('recovery points', () => {
  it('findBefore picks the newest valid snapshot at or before the time', async () => {
    const dir = await tempDir();
    const s0 = await snapshot(dir, 0);
    const s10 = await snapshot(dir, 10);
    const s20 = await snapshot(dir, 20);
    const s30 = await snapshot(dir, 30, KEY);
    await flipByte(join(dir, s20.id, 'config.yaml'), 3);
    const before = (minute: number, key?: string) => findBefore(dir, new Date(at(minute)), { key });
    expect(await before(-1)).toBeUndefined();
    expect(await before(0)).toBe(s0.id);
    expect(await before(9.99)).toBe(s0.id);
    expect(await before(10)).toBe(s10.id);
    expect(await before(25)).toBe(s10.id); // s20 is damaged
    expect(await before(40)).toBe(s10.id); // s30 needs a key
    expect(await before(40, KEY)).toBe(s30.id);
    expect(await findBefore(join(dir, 'missing'), new Date(at(40)))).toBeUndefined();
  });

  it('newestValid skips broken snapshots and says which and why', async () => {
    const dir = await tempDir();
    const s0 = await snapshot(dir, 0);
    const s1 = await snapshot(dir, 1);
    const s2 = await snapshot(dir, 2);
    await rm(join(dir, s2.id, 'sessions.ndjson'));
    await truncate(join(dir, s1.id, 'manifest.json'), 10);
    expect(await newestValid(dir)).toEqual({
      id: s0.id,
      manifest: s0,
      skipped: [
        { id: s2.id, problems: ['sessions.ndjson: missing'] },
        { id: s1.id, problems: ['manifest.json: truncated or not JSON'] },
      ],
    });
    await rm(join(dir, s0.id, 'config.yaml'));
    expect((await newestValid(dir)).id).toBeUndefined();
    expect((await listSnapshots(dir)).length).toBe(3);
  });
});
