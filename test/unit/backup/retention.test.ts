import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSnapshot, listSnapshots, planRetention, prune, verifySnapshot, type Manifest } from '../../../src/backup/index.js';
import { manifestText, sealManifest } from '../../../src/backup/manifest.js';
import { at, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();
const HOUR = 3_600_000;
const NOW = at(24 * 60);

/** "v5" is a valid snapshot 5 hours before NOW, "b5" a damaged one. */
function snaps(...specs: string[]) {
  return specs.map((s) => ({ id: s, time: new Date(NOW - Number(s.slice(1)) * HOUR), valid: s.startsWith('v') }));
}

describe('planRetention', () => {
  it.each([
    ['keep_last keeps the newest N', snaps('v1', 'v2', 'v3', 'v4', 'v5'), 2, 0, ['v1', 'v2'], ['v3', 'v4', 'v5']],
    ['keep_within keeps everything newer than now - keep_within', snaps('v1', 'v2', 'v3', 'v4', 'v5'), 1, 3.5 * HOUR, ['v1', 'v2', 'v3'], ['v4', 'v5']],
    ['exactly at now - keep_within is not newer: removed', snaps('v1', 'v3'), 1, 3 * HOUR, ['v1'], ['v3']],
    ['both rules: the union', snaps('v1', 'v2', 'v9', 'v10'), 3, 1.5 * HOUR, ['v1', 'v2', 'v9'], ['v10']],
    ['keep_last 0 and all outside keep_within: the newest valid is still kept', snaps('v30', 'v40'), 0, HOUR, ['v30'], ['v40']],
    ['the newest valid is kept even when it is old and newer ones are damaged', snaps('b1', 'b2', 'v50', 'v60'), 0, HOUR, ['b1', 'b2', 'v50'], ['v60']],
    ['damaged snapshots older than the newest valid go, even within keep_within', snaps('v1', 'b2', 'v3', 'b4'), 5, 10 * HOUR, ['v1', 'v3'], ['b2', 'b4']],
    ['keep_last counts valid snapshots only', snaps('v1', 'b2', 'v3', 'v4'), 2, 0, ['v1', 'v3'], ['b2', 'v4']],
    ['all damaged: nothing is removed', snaps('b1', 'b2'), 1, 0, ['b1', 'b2'], []],
    ['nothing to plan', [], 3, HOUR, [], []],
    ['input order does not matter; output is newest first', snaps('v5', 'v1', 'v3'), 2, 0, ['v1', 'v3'], ['v5']],
  ])('%s', (_name, input, keep_last, keep_within, keep, remove) => {
    expect(planRetention(input, { keep_last, keep_within, now: NOW })).toEqual({ keep, remove });
  });

  it('refuses a nonsense policy', () => {
    expect(() => planRetention([], { keep_last: -1, keep_within: 0, now: NOW })).toThrow(RangeError);
    expect(() => planRetention([], { keep_last: 1, keep_within: Number.NaN, now: NOW })).toThrow(RangeError);
  });
});

describe('prune', () => {
  async function make(dir: string, minutes: number[], key?: string): Promise<Manifest[]> {
    const out: Manifest[] = [];
    for (const minute of minutes) out.push(await createSnapshot(dir, { configText: 'x: 1\n', configVersion: minute, sessions: [], ...(key ? { key } : {}), now: () => at(minute) }));
    return out;
  }

  it('removes what the policy says, damaged old ones and temp leftovers; what is left verifies', async () => {
    const dir = await tempDir();
    const [s0, s1, s2, s3, s4] = await make(dir, [0, 1, 2, 3, 4]);
    await rm(join(dir, s1!.id, 'config.yaml'));
    await mkdir(join(dir, '.tmp-20261128T100500000Z-beef'));
    const r = await prune(dir, { keep_last: 2, keep_within: 2.5 * 60_000 }, { now: () => at(5) });
    expect(r).toEqual({ removed: [s2!.id, s1!.id, s0!.id], kept: [s4!.id, s3!.id], temp_removed: ['.tmp-20261128T100500000Z-beef'] });
    expect((await readdir(dir)).sort()).toEqual([s3!.id, s4!.id]);
    for (const s of await listSnapshots(dir)) expect((await verifySnapshot(dir, s.id)).ok).toBe(true);
    expect(await prune(dir, { keep_last: 2, keep_within: 0 }, { now: () => at(5) })).toEqual({ removed: [], kept: [s4!.id, s3!.id], temp_removed: [] });
  });

  it('a missing or wrong key never makes encrypted snapshots look damaged', async () => {
    const dir = await tempDir();
    const enc = await make(dir, [0, 1], 'key A');
    const [plain] = await make(dir, [2]);
    for (const key of [undefined, 'key B']) {
      const r = await prune(dir, { keep_last: 3, keep_within: 0 }, { now: () => at(3), key });
      expect(r.removed).toEqual([]);
    }
    const r = await prune(dir, { keep_last: 2, keep_within: 0 }, { now: () => at(3), key: 'key B' });
    expect(r).toMatchObject({ removed: [enc[0]!.id], kept: [plain!.id, enc[1]!.id] });
  });

  it('a snapshot in a newer format is kept like a valid one, not removed as damaged', async () => {
    const dir = await tempDir();
    const [newer, s1, s2] = await make(dir, [0, 1, 2]);
    const { checksum: _, ...body } = newer!;
    await writeFile(join(dir, newer!.id, 'manifest.json'), manifestText(sealManifest({ ...body, format_version: 3 })));
    const r = await prune(dir, { keep_last: 3, keep_within: 0 }, { now: () => at(3) });
    expect(r).toEqual({ removed: [], kept: [s2!.id, s1!.id, newer!.id], temp_removed: [] });
  });

  it('justWritten: the snapshot the caller just wrote is not read back; the others are checked as before', async () => {
    const dir = await tempDir();
    const [s0, s1, s2] = await make(dir, [0, 1, 2]);
    // Damage the newest behind the caller's back: without the hint prune finds it (and
    // keeps s1 as the newest valid); with it, s2 is taken as written and s1 may go.
    await rm(join(dir, s2!.id, 'config.yaml'));
    const policy = { keep_last: 1, keep_within: 0 };
    expect((await prune(dir, policy, { now: () => at(3), justWritten: s2!.id })).removed).toEqual([s1!.id, s0!.id]);
    const dir2 = await tempDir();
    const [t0, t1, t2] = await make(dir2, [0, 1, 2]);
    await rm(join(dir2, t2!.id, 'config.yaml'));
    expect((await prune(dir2, policy, { now: () => at(3) })).removed).toEqual([t0!.id]);
    expect((await readdir(dir2)).sort()).toEqual([t1!.id, t2!.id].sort());
  });

  it('a missing directory: nothing to do', async () => {
    expect(await prune(join(await tempDir(), 'missing'), { keep_last: 1, keep_within: 0 })).toEqual({ removed: [], kept: [], temp_removed: [] });
  });
});
