/**
 * @module test/integration/backup-corrupt.test
 * One flipped byte in any part of a snapshot is caught: three snapshots are taken with the
 * real CLI (`bulwark backup create`), then one byte is flipped in config.yaml of the first,
 * sessions.ndjson of the second and manifest.json of the third. `bulwark backup verify`
 * names the damaged file of each and exits 1, `list` marks them unverified, and `restore`
 * refuses each one (exit 1, the problems listed) and leaves the conf file as it was.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { backupConfig, BackupSite, newSession, serversOf } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';

async function flipByte(file: string): Promise<void> {
  const data = await readFile(file);
  const at = data.length >> 1;
  data[at] = data[at]! ^ 0x01;
  await writeFile(file, data);
}

describe('backup: a flipped byte in any part', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('is detected by verify, naming the part, and refused by restore', async () => {
    const names = ['a', 'b'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 1h' }));
    const bw = await site.start();
    for (let i = 0; i < 4; i++) await newSession(bw.url);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await site.cli('create', bw);
      expect(r.code, r.stderr).toBe(0);
      ids.push(/created snapshot (\S+)/.exec(r.stdout)![1]!);
    }
    const fresh = await site.cli('verify', undefined, ['--all']);
    expect(fresh.code, fresh.stdout).toBe(0);

    const parts = ['config.yaml', 'sessions.ndjson', 'manifest.json'];
    for (let i = 0; i < 3; i++) await flipByte(join(site.backups, ids[i]!, parts[i]!));

    const all = await site.cli('verify', undefined, ['--all']);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('3 of 3 snapshot(s) invalid');
    const each = await Promise.all(ids.map((id) => site.cli('verify', undefined, [id])));
    for (let i = 0; i < 3; i++) {
      const one = each[i]!;
      expect(one.code).toBe(1);
      expect(one.stdout).toContain(`${ids[i]}: INVALID (damaged)`);
      expect(one.stdout).toMatch(new RegExp(`  - ${parts[i]!.replace('.', '\\.')}: `));
    }
    const listed = await site.cli('list', undefined, ['--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ verified: boolean }>).map((l) => l.verified)).toEqual([false, false, false]);

    const before = await readFile(site.configFile, 'utf8');
    const restores = await Promise.all(ids.map((id) => site.cli('restore', bw, [id])));
    for (let i = 0; i < 3; i++) {
      const r = restores[i]!;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refusing to restore snapshot ${ids[i]}: it does not verify`);
      expect(r.stderr).toContain(`  - ${parts[i]}: `);
    }
    expect(await readFile(site.configFile, 'utf8')).toBe(before);
    expect((await readdir(site.dir)).filter((f) => f.includes('.bak-'))).toEqual([]);
  });
});
