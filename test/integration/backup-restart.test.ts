/**
 * @module test/integration/backup-restart.test
 * Affinity survives a restart of bulwark: sessions pinned by the sticky cookie are
 * snapshotted (`bulwark backup create`, the real CLI), bulwark is stopped and started again
 * on the same config, and its startup restore loads them, so every cookie lands on the
 * server it had. The newest snapshot is damaged first: the restore skips it with a warning
 * naming it and the damaged part, and uses the one before. The cookies are asked in reverse order after the restart, so a scheduler
 * that happened to repeat the first run's order could not pass for the restore.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { askWith, backupConfig, BackupSite, newSession, serversOf } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';

describe('backup: sticky sessions across a restart', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('keeps every cookie on its server after a restart', async () => {
    const names = ['a', 'b', 'c'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 1h' }));
    const first = await site.start();
    const sessions = [];
    for (let i = 0; i < 6; i++) sessions.push(await newSession(first.url));
    expect(new Set(sessions.map((s) => s.server)).size).toBe(3);
    for (const s of sessions) expect(await askWith(first.url, s.cookie, 5)).toEqual({ [s.server]: 5 });

    for (let i = 0; i < 2; i++) {
      const created = await site.cli('create', first);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/created snapshot \S+ .*6 sessions/);
    }
    await first.stop();
    // Damage the newest snapshot (the agent's last one, taken at stop, or the second create):
    // the startup restore skips it with a warning and uses the one before.
    const [newest, previous] = (await readdir(site.backups)).filter((n) => !n.startsWith('.')).sort().reverse();
    const part = join(site.backups, newest!, 'sessions.ndjson');
    await writeFile(part, (await readFile(part, 'utf8')).replace('"server":"', '"server":"x'));

    const second = await site.start();
    const skipped = second.events('backup_snapshot_skipped');
    expect(skipped.map((l) => l['id'])).toEqual([newest]);
    expect(String(skipped[0]!['msg'])).toContain('sessions.ndjson');
    const restored = second.events('backup_sessions_restored')[0];
    expect(restored).toMatchObject({ id: previous, sessions: 6 });
    const status = (await (await fetch(`${second.adminUrl}/status`)).json()) as { upstreams: Array<{ sticky?: { size: number } }> };
    expect(status.upstreams[0]!.sticky!.size).toBe(6);
    for (const s of [...sessions].reverse()) expect(await askWith(second.url, s.cookie, 20)).toEqual({ [s.server]: 20 });
  });
});
