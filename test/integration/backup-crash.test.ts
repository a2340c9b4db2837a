/**
 * @module test/integration/backup-crash.test
 * SIGKILL of the backup agent in the middle of writing a snapshot. With 50k sessions a
 * snapshot takes long enough that the test sees its `.tmp-*` folder appear and kills the
 * agent then (if it is too quick to be caught, the test leaves a half-written `.tmp-*`
 * folder itself, as a crash would). Afterwards every snapshot listed verifies (`bulwark
 * backup verify`, the real CLI), the supervisor restarts the agent, its next run completes
 * (taking over the dead agent's lock and removing the leftover temp folder), and requests
 * through the proxy never failed.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifySnapshot } from '../../src/backup/index.js';
import { assertBuilt } from '../helpers/cli.js';
import { backupConfig, BackupSite, requestLoop, serversOf, waitEvent } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';
import { adminPost } from '../helpers/reload.js';

const SESSIONS = 50_000;

function sessionsNdjson(n: number): string {
  const expires = Date.now() + 3_600_000;
  let out = '';
  for (let i = 0; i < n; i++) out += `{"key":"k${i.toString(36).padStart(8, '0')}","upstream":"web","server":"${i % 2 === 0 ? 'a' : 'b'}","expires_at":${expires}}\n`;
  return out;
}

async function tempFolders(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('.tmp-'));
}

describe('backup: agent killed mid-write', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('leaves earlier snapshots valid; the next run completes; proxying never stops', async () => {
    const names = ['a', 'b'];
    const origins = await h.namedOrigins(names);
    const yaml = backupConfig({ servers: serversOf(origins, names), stickyExtra: 'max_entries: 100000', backup: 'interval: 300ms, keep_last: 2, keep_within: 1ms, on_reload: false' });
    const site = await BackupSite.create(h, yaml);
    const bw = await site.start();
    const imported = await adminPost(bw.adminUrl, '/sessions/import?mode=replace', sessionsNdjson(SESSIONS));
    expect(imported.status, imported.text).toBe(200);
    const firstAgent = (await waitEvent(bw, 'backup_agent_started'))['agent_pid'] as number;
    await waitEvent(bw, 'snapshot_created', (l) => l['sessions'] === SESSIONS);

    const loop = requestLoop(bw.url);
    // Kill the agent as soon as a snapshot is being written.
    let caught = false;
    const deadline = Date.now() + 5000;
    while (!caught && Date.now() < deadline) {
      if ((await tempFolders(site.backups)).length > 0) caught = true;
      else await new Promise((r) => setImmediate(r));
    }
    process.kill(firstAgent, 'SIGKILL');
    if (!caught) {
      // Too quick to catch: leave what a crash mid-write leaves.
      const tmp = join(site.backups, '.tmp-20260101T000000000Z-dead');
      await mkdir(tmp);
      await writeFile(join(tmp, 'sessions.ndjson'), '{"key":"half');
    }
    await waitEvent(bw, 'backup_agent_exited', (l) => l['agent_pid'] === firstAgent && l['signal'] === 'SIGKILL');

    const verified = await site.cli('verify', undefined, ['--all']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/\d+ snapshot\(s\) verified/);

    const secondAgent = (await waitEvent(bw, 'backup_agent_started', (l) => l['agent_pid'] !== firstAgent))['agent_pid'];
    const next = await waitEvent(bw, 'snapshot_created', (l) => l['agent_pid'] === secondAgent);
    expect(next['sessions']).toBeGreaterThanOrEqual(SESSIONS);
    expect(await tempFolders(site.backups)).toEqual([]);
    expect(await verifySnapshot(site.backups, String(next['id']))).toEqual({ ok: true, problems: [], damaged: false });

    const { ok, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  }, 30_000);
});
