/**
 * @module test/unit/backup/fence
 * Fleet snapshots and their fencing token (issue 17): the storage, under its lock, refuses a
 * write whose token is lower than the highest it has committed (the stale leader's late write),
 * takes the same token again (one term, many snapshots) and any higher one, and records the
 * leader in a manifest that verifies.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSnapshot, listSnapshots, readFence, readSnapshot, verifySnapshot } from '../../../src/backup/index.js';
import { BulwarkError } from '../../../src/core/errors.js';
import { at, CONFIG_TEXT, makeSessions, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs();
const sessions = makeSessions(5);
const snap = (dir: string, node: string, token: number, minute: number) =>
  createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 3, sessions, now: () => at(minute), fence: { node, token } });

async function refusal(p: Promise<unknown>): Promise<BulwarkError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BulwarkError);
  return err as BulwarkError;
}

describe('fleet snapshots under a fencing token', () => {
  it('refuses a write under a lower token than one committed, and writes nothing for it', async () => {
    const dir = await tempDir();
    const a = await snap(dir, 'lb-a', 4, 0);
    expect(a.fleet).toEqual({ node: 'lb-a', token: 4 });
    const b = await snap(dir, 'lb-b', 5, 1);
    expect(await readFence(dir)).toEqual({ node: 'lb-b', token: 5, snapshot: b.id });
    // lb-a, paused past its lease, wakes and writes what it had gathered under term 4.
    const err = await refusal(snap(dir, 'lb-a', 4, 2));
    expect(err.code).toBe('BLWK_BACKUP_FENCED');
    expect(err.message).toBe(
      `refusing the snapshot of node lb-a under fencing token 4: ${dir} already holds snapshot ${b.id} of node lb-b under token 5. ` +
        'A newer leader has written since; this node is no longer the fleet\'s leader.',
    );
    expect((await listSnapshots(dir)).map((l) => l.id)).toEqual([b.id, a.id]);
    expect((await readdir(dir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(await readFence(dir)).toEqual({ node: 'lb-b', token: 5, snapshot: b.id });
  });

  it('takes the same token again (one term, many snapshots) and a higher one', async () => {
    const dir = await tempDir();
    await snap(dir, 'lb-b', 5, 0);
    const again = await snap(dir, 'lb-b', 5, 1);
    const next = await snap(dir, 'lb-c', 9, 2);
    expect(await readFence(dir)).toEqual({ node: 'lb-c', token: 9, snapshot: next.id });
    expect((await verifySnapshot(dir, again.id)).ok).toBe(true);
    expect((await readSnapshot(dir, next.id)).manifest.fleet).toEqual({ node: 'lb-c', token: 9 });
  });

  it('a snapshot without a token (a single node) neither checks nor moves the fence', async () => {
    const dir = await tempDir();
    const f = await snap(dir, 'lb-a', 7, 0);
    const plain = await createSnapshot(dir, { configText: CONFIG_TEXT, configVersion: 3, sessions, now: () => at(1) });
    expect(plain.fleet).toBeUndefined();
    expect(await readFence(dir)).toEqual({ node: 'lb-a', token: 7, snapshot: f.id });
  });

  it('a damaged fence file stops fleet writes with a message naming it; a bad token is bad input', async () => {
    const dir = await tempDir();
    await snap(dir, 'lb-a', 2, 0);
    await writeFile(join(dir, '.fence'), '{"token": "two"}\n');
    const err = await refusal(snap(dir, 'lb-a', 3, 1));
    expect(err.code).toBe('BLWK_BACKUP_IO');
    expect(err.message).toContain(`${join(dir, '.fence')} is damaged`);
    const bad = await refusal(snap(dir, 'lb-a', 0, 1));
    expect(bad.code).toBe('BLWK_BACKUP_INPUT');
    expect(bad.message).toContain('fence must be { node, token }');
  });

  it('an edited fleet field in the manifest fails verification', async () => {
    const dir = await tempDir();
    const m = await snap(dir, 'lb-a', 2, 0);
    const path = join(dir, m.id, 'manifest.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"token": 2', '"token": 20'));
    const v = await verifySnapshot(dir, m.id);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/checksum mismatch/);
  });
});
