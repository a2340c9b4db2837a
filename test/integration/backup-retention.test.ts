/**
 * @module test/integration/backup-retention.test
 * `bulwark backup prune` keeps exactly what the policy says (keep_last 1, keep_within 1m):
 * of three snapshots 10-12 minutes old and two taken now (`bulwark backup create`), it
 * removes the old three, keeps the newest (keep_last) and the one before it (only
 * keep_within keeps that one), and `list --json` shows exactly those. Then the newest snapshot is damaged, and a policy of
 * one still keeps the newest valid snapshot, and the damaged one newer than it. `create`
 * reports the same size as `list` (the snapshot's bytes on disk), and prune names
 * keep_within as it is written in config (1m, not 60000 ms).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnapshot } from '../../src/backup/index.js';
import { assertBuilt } from '../helpers/cli.js';
import { backupCli, backupConfig, BackupSite, serversOf, type Running } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';

/** The size `create` reported for each snapshot it made. */
const createdBytes = new Map<string, number>();

async function create(site: BackupSite, bw: Running): Promise<string> {
  const r = await site.cli('create', bw);
  expect(r.code, r.stderr).toBe(0);
  const [, id, bytes] = /created snapshot (\S+) .*, (\d+) bytes/.exec(r.stdout)!;
  createdBytes.set(id!, Number(bytes));
  return id!;
}

async function listed(site: BackupSite): Promise<string[]> {
  const r = await site.cli('list', undefined, ['--json']);
  expect(r.code, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as Array<{ id: string; time: string; bytes: number; verified: boolean }>;
  // (A snapshot damaged on purpose below has changed size since.)
  for (const row of rows) if (row.verified && createdBytes.has(row.id)) expect(row.bytes, `list and create sizes of ${row.id}`).toBe(createdBytes.get(row.id));
  return rows.map((l) => l.id);
}

describe('backup: retention', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('prune keeps exactly keep_last plus keep_within, and never the newest valid one', async () => {
    const names = ['a'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 1h, keep_last: 1, keep_within: 1m' }));
    const bw = await site.start();
    // Three older snapshots (the CLI cannot backdate, so these come from the library itself).
    const old: string[] = [];
    for (const minutesAgo of [12, 11, 10]) {
      const at = Date.now() - minutesAgo * 60_000;
      old.push((await createSnapshot(site.backups, { configText: 'old: true\n', configVersion: 1, sessions: [], now: () => at })).id);
    }
    const recent = [await create(site, bw), await create(site, bw)];
    const pruned = await site.cli('prune', undefined);
    expect(pruned.code, pruned.stderr).toBe(0);
    for (const id of old) expect(pruned.stdout).toContain(`removed ${id}`);
    expect(pruned.stdout).toContain('kept 2 snapshot(s), removed 3 (keep_last 1, keep_within 1m)');
    expect(await listed(site)).toEqual([recent[1], recent[0]]);

    // The newest is damaged. A policy that keeps only one (the same dir, keep_within 1ms) still
    // keeps the newest valid one, recent[0], and the damaged one newer than it.
    await writeFile(join(site.backups, recent[1]!, 'manifest.json'), '{');
    const strict = join(site.dir, 'strict.yaml');
    await writeFile(strict, backupConfig({ servers: serversOf(origins, names), backup: 'keep_last: 1, keep_within: 1ms' }));
    const again = await backupCli(['prune', '-c', strict]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('kept 2 snapshot(s), removed 0 (keep_last 1, keep_within 1ms)');
    expect(await listed(site)).toEqual([recent[1], recent[0]]);
  });
});
