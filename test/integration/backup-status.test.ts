/**
 * @module test/integration/backup-status.test
 * /status `backup.last_snapshot` names the newest snapshot on disk (issue 12 item 18):
 * right after a restart, before the agent has reported anything; and when the agent's
 * runs fail (the folder locked by another live process) before it took any snapshot of its
 * own, its report still names the newest snapshot there is, not null.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listSnapshots } from '../../src/backup/index.js';
import { assertBuilt } from '../helpers/cli.js';
import { BACKUP_TEST_MS, backupConfig, backupStatus, BackupSite, serversOf, waitBackupStatus } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';

describe('backup: /status names the newest snapshot on disk', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  async function siteWithSnapshots(backup: string): Promise<{ site: BackupSite; newest: string; yaml: (b: string) => string }> {
    const names = ['a'];
    const origins = await h.namedOrigins(names);
    const yaml = (b: string): string => backupConfig({ servers: serversOf(origins, names), backup: b });
    const site = await BackupSite.create(h, yaml(backup));
    const first = await site.start();
    const created = await site.cli('create', first);
    expect(created.code, created.stderr).toBe(0);
    await first.stop(); // the agent takes a last snapshot too
    const newest = (await listSnapshots(site.backups)).find((l) => l.manifest !== undefined)!.id;
    return { site, newest, yaml };
  }

  it('right after a restart, before the agent reports', async () => {
    // interval 1h, on_reload false: the new agent takes no snapshot, so it reports nothing.
    const { site, newest } = await siteWithSnapshots('interval: 1h, on_reload: false');
    const second = await site.start();
    expect((await backupStatus(second))?.['last_snapshot']).toBe(newest);
  }, BACKUP_TEST_MS);

  it('when every run of the agent fails', async () => {
    const { site, newest, yaml } = await siteWithSnapshots('interval: 1h, on_reload: false');
    // Another live process (this one) holds the folder's lock: every run fails, the agent never wrote one.
    await writeFile(join(site.backups, '.lock'), `${process.pid}\n`);
    await writeFile(site.configFile, yaml('interval: 200ms, on_reload: false'));
    const second = await site.start();
    const b = await waitBackupStatus(second, (x) => x?.['ok'] === false, 'with a failed run');
    expect(String(b!['error'])).toContain(`is locked by pid ${process.pid}`);
    expect(b!['last_snapshot']).toBe(newest);
  }, BACKUP_TEST_MS);
});
