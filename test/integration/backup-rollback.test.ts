/**
 * @module test/integration/backup-rollback.test
 * A recovery point undoes a bad change with no restart: take a snapshot, break the config
 * with an edit (the reload rejects it and the old config keeps serving), then save a wrong
 * but valid config (traffic moves to other servers), then `bulwark backup restore --before`
 * a time between the snapshot and the edit. The conf file is written back atomically (the
 * replaced file kept as <file>.bak-<time>), the hot reload applies it, and traffic is back on
 * the old servers. The agent keeps snapshotting every 200 ms throughout (also after each
 * reload): --before must still pick the config that was live at that time.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { backupConfig, BackupSite, serversOf } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';
import { sleep, tally, waitRejected, waitVersion } from '../helpers/reload.js';

describe('backup: restore --before after a bad edit', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('puts the old servers back without a restart', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const origins = await h.namedOrigins(names);
    const servers = serversOf(origins, names);
    const backup = 'interval: 200ms, keep_last: 1000, keep_within: 1h';
    const good = backupConfig({ servers: servers.slice(0, 2), sticky: false, backup });
    const wrong = backupConfig({ servers: servers.slice(2), sticky: false, backup });
    const site = await BackupSite.create(h, good);
    const bw = await site.start();
    expect(await tally(bw.url, 10)).toEqual({ a: 5, b: 5 });

    const created = await site.cli('create', bw);
    expect(created.code, created.stderr).toBe(0);
    const recoveryPoint = new Date().toISOString();
    await sleep(20);

    await writeFile(site.configFile, `${good}\nupstreams: [broken\n`);
    await waitRejected(bw.adminUrl);
    expect(await tally(bw.url, 4)).toEqual({ a: 2, b: 2 });
    await writeFile(site.configFile, wrong);
    await waitVersion(bw.adminUrl, 2);
    expect(await tally(bw.url, 10)).toEqual({ c: 5, d: 5 });

    const dry = await site.cli('restore', bw, ['--before', recoveryPoint, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`-      - { name: c, url: "${origins[2]!.url}" }`);
    expect(dry.stdout).toContain(`+      - { name: a, url: "${origins[0]!.url}" }`);
    expect(dry.stdout).toContain('nothing was changed');
    expect(await readFile(site.configFile, 'utf8')).toBe(wrong);

    const restored = await site.cli('restore', bw, ['--before', recoveryPoint]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/config: wrote .* \(the replaced file is kept as .*\.bak-/);
    await waitVersion(bw.adminUrl, 3);
    expect(await tally(bw.url, 10)).toEqual({ a: 5, b: 5 });
    expect(await readFile(site.configFile, 'utf8')).toBe(good);
    const baks = (await readdir(site.dir)).filter((f) => f.startsWith('bulwark.yaml.bak-'));
    expect(baks).toHaveLength(1);
    expect(await readFile(`${site.dir}/${baks[0]}`, 'utf8')).toBe(wrong);
    // No leftover temp file from the atomic write.
    expect((await readdir(site.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
