/**
 * @module test/integration/metrics-backup.test
 * The backup sidecar on /metrics: a real agent's snapshot runs counted by result as it
 * reports them, succeeding, then failing on a folder another live process has locked (the
 * last success stays put), and both series gone after a real reload removes `backup:`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_TEST_MS, backupConfig, BackupSite, EVENT_BOUND_MS, serversOf } from '../helpers/backup.js';
import { assertBuilt } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { scrape, waitScrape, type Scrape } from '../helpers/metrics.js';
import { waitVersion } from '../helpers/reload.js';

const runs = (m: Scrape, result: string): number => m.series('bulwark_backup_snapshots_total', { result })[0]?.value ?? 0;
const LAST = 'bulwark_backup_last_success_timestamp_seconds';

describe('GET /metrics: backup snapshots', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('counts the agent\'s runs by result with the last success, and a reload that removes backup: removes them', async () => {
    const servers = serversOf(await h.namedOrigins(['a']), ['a']);
    const withBackup = backupConfig({ servers, backup: 'interval: 200ms, on_reload: false' });
    const site = await BackupSite.create(h, withBackup);
    const startedAt = Date.now();
    const run = await site.start();
    const wait = (pred: (m: Scrape) => boolean, what: string): Promise<Scrape> => waitScrape(run.adminUrl, pred, what, {}, EVENT_BOUND_MS);

    const ok = await wait((m) => runs(m, 'ok') >= 1, 'a successful snapshot');
    expect(runs(ok, 'failed')).toBe(0);
    const last = ok.value(LAST) * 1000;
    expect(last).toBeGreaterThanOrEqual(startedAt);
    expect(last).toBeLessThanOrEqual(Date.now());

    // Another live process (this one) holds the folder's lock: every run from now on fails.
    await writeFile(join(site.backups, '.lock'), `${process.pid}\n`);
    const failing = await wait((m) => runs(m, 'failed') >= 1, 'a failed snapshot');
    const failed = await wait((m) => runs(m, 'failed') > runs(failing, 'failed'), 'another failed snapshot');
    expect(runs(failed, 'ok')).toBe(runs(failing, 'ok'));
    expect(failed.value(LAST)).toBe(failing.value(LAST));

    await writeFile(site.configFile, withBackup.replace(/^backup:.*\n/m, ''));
    await waitVersion(run.adminUrl, 2);
    const m = await scrape(run.adminUrl);
    expect(m.series('bulwark_backup_snapshots_total')).toEqual([]);
    expect(m.series(LAST)).toEqual([]);
  }, BACKUP_TEST_MS);
});
