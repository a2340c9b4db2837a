/**
 * @module test/integration/backup-supervisor.test
 * `bulwark start` with `backup:` runs the agent as a child process and keeps it running:
 * the agent reports each run to /status (`backup`, with its pid) and prunes to keep_last /
 * keep_within after each; SIGKILLed, it is
 * restarted after 1 s, and killed again, the next restart waits 2 s (exponential backoff),
 * while requests through the proxy keep succeeding. A reload that changes the backup block
 * (its interval) applies to the running agent (the supervisor sends it SIGHUP). A run that cannot write (backup.dir is a
 * file) is reported in /status as ok: false with the error, and the proxy is unaffected.
 */
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { BACKUP_TEST_MS, backupConfig, BackupSite, EVENT_BOUND_MS, requestLoop, serversOf, waitEvent, type Running } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';

interface Report {
  ok: boolean;
  pid: number;
  error?: string;
  last_snapshot: string | null;
  snapshot_count: number | null;
}

/** Polls /status until its `backup` report matches `pred` (a hang guard, not a timing assertion). */
async function reportWhere(bw: Running, pred: (r: Report) => boolean): Promise<Report> {
  const deadline = Date.now() + EVENT_BOUND_MS;
  for (;;) {
    const r = ((await (await fetch(`${bw.adminUrl}/status`)).json()) as { backup?: Report }).backup;
    if (r !== undefined && pred(r)) return r;
    if (Date.now() > deadline) throw new Error(`no matching backup report in /status; last: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('backup: the supervised agent', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('restarts a killed agent with backoff while bulwark keeps serving', async () => {
    const names = ['a', 'b'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 200ms, keep_last: 3, keep_within: 1ms' }));
    const bw = await site.start();
    const first = (await waitEvent(bw, 'backup_agent_started'))['agent_pid'] as number;
    const r1 = await reportWhere(bw, (r) => r.pid === first);
    expect(r1).toMatchObject({ ok: true, pid: first });
    expect(r1.last_snapshot).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{4}$/);
    // keep_last 3 and keep_within 1ms: the agent prunes to three (the defaults would keep all).
    // After five snapshots, /status holds the report of the fourth run or a later one.
    await waitEvent(bw, 'snapshot_created', () => bw.events('snapshot_created').length >= 5);
    expect((await reportWhere(bw, (r) => r.pid === first && (r.snapshot_count ?? 0) >= 3)).snapshot_count).toBe(3);

    const loop = requestLoop(bw.url);
    process.kill(first, 'SIGKILL');
    await waitEvent(bw, 'backup_agent_restart', (l) => l['delay_ms'] === 1000);
    const second = (await waitEvent(bw, 'backup_agent_started', (l) => l['agent_pid'] !== first))['agent_pid'] as number;
    expect((await reportWhere(bw, (r) => r.pid === second)).ok).toBe(true);

    process.kill(second, 'SIGKILL');
    const exited = await waitEvent(bw, 'backup_agent_exited', (l) => l['agent_pid'] === second);
    expect(exited['signal']).toBe('SIGKILL');
    await waitEvent(bw, 'backup_agent_restart', (l) => l['delay_ms'] === 2000);
    const { ok, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
  }, BACKUP_TEST_MS);

  it('applies a reloaded backup block without a restart (a new interval)', async () => {
    const names = ['a'];
    const origins = await h.namedOrigins(names);
    const yaml = (interval: string): string => backupConfig({ servers: serversOf(origins, names), backup: `interval: ${interval}` });
    const site = await BackupSite.create(h, yaml('1h'));
    const bw = await site.start();
    const agent = (await waitEvent(bw, 'backup_agent_started'))['agent_pid'];
    await waitEvent(bw, 'agent_started');
    await writeFile(site.configFile, yaml('200ms'));
    // The agent takes the new settings at once (SIGHUP), then runs the new interval, which
    // (or on_reload's run, whichever comes first) snapshots the new config version.
    expect((await waitEvent(bw, 'backup_settings_changed'))['backup']).toMatchObject({ interval: 200 });
    await waitEvent(bw, 'snapshot_created', (l) => l['config_version'] === 2);
    await waitEvent(bw, 'snapshot_created', (l) => l['trigger'] === 'interval');
    expect(bw.events('backup_agent_started').map((l) => l['agent_pid'])).toEqual([agent]);
  }, BACKUP_TEST_MS);

  it('reports a run that cannot write in /status, and the proxy is unaffected', async () => {
    const names = ['a'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 200ms' }));
    await writeFile(site.backups, 'a file where the backup folder should be\n');
    const bw = await site.start();
    const r = await reportWhere(bw, (x) => x.ok !== undefined);
    expect(r.ok).toBe(false);
    expect(r.last_snapshot).toBeNull();
    expect(r.error).toContain(`cannot create the backup directory ${site.backups}`);
    expect((await fetch(bw.url)).status).toBe(200);
  }, BACKUP_TEST_MS);
});
