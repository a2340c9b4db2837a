/**
 * @module test/integration/backup-reload.test
 * The backup block under hot reload (issue 12 items 19 and 20):
 * - a reload that adds `backup:` starts the agent; one that changes it reconfigures the
 *   running agent (a new interval applies although on_reload is off and the old interval
 *   is an hour); a new cpu_class restarts it; removing the block stops it, and /status
 *   loses its backup section. needs_restart stays empty throughout.
 * - `encrypt_key_env` naming an unset variable: `bulwark start` refuses (naming the key path
 *   and the variable), so does the standalone agent, and so does a reload.
 * - `on_reload`: two bulwarks reloaded alike; the one with `on_reload: true` snapshots the
 *   reload; the one with `false` does not, in three times as long (at least 3 s).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli } from '../helpers/cli.js';
import { BACKUP_TEST_MS, backupConfig, backupStatus, BackupSite, EVENT_BOUND_MS, serversOf, waitBackupStatus, waitEvent, type Running } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor, withTimeout } from '../helpers/net.js';
import { adminPost, getStatus, sleep } from '../helpers/reload.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A variable name no environment sets. */
const UNSET = 'BULWARK_TEST_UNSET_BACKUP_KEY';

describe('backup: the agent follows reloads', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  async function setup(): Promise<{ site: BackupSite; bw: Running; yaml: (backup?: string) => string }> {
    const origins = await h.namedOrigins(['a']);
    const yaml = (backup?: string): string => {
      const text = backupConfig({ servers: serversOf(origins, ['a']), backup });
      return backup === undefined ? text.replace(/^backup:.*$/m, '') : text;
    };
    const site = await BackupSite.create(h, yaml());
    return { site, bw: await site.start(), yaml };
  }

  /** Saves the config and reloads it through the API (the file watcher may get there first). */
  async function reload(site: BackupSite, bw: Running, text: string): Promise<void> {
    await writeFile(site.configFile, text);
    const r = await adminPost(bw.adminUrl, '/reload');
    expect(r.status, r.text).toBe(200);
  }

  it('starts, reconfigures and stops the agent as the backup block comes, changes and goes', async () => {
    const { site, bw, yaml } = await setup();
    expect(await backupStatus(bw)).toBeUndefined();

    await reload(site, bw, yaml('interval: 1h, on_reload: false'));
    const first = (await waitEvent(bw, 'agent_started'))['agent_pid'];
    expect((await backupStatus(bw))?.['agent']).toMatchObject({ pid: first });

    // Only a reconfigured agent can run a 200 ms interval: on_reload is off, the old interval 1h.
    await reload(site, bw, yaml('interval: 200ms, on_reload: false'));
    const snap = await waitEvent(bw, 'snapshot_created', (l) => l['trigger'] === 'interval' && l['agent_pid'] === first);
    await waitBackupStatus(bw, (b) => b?.['last_snapshot'] === snap['id'], `naming snapshot ${String(snap['id'])}`);

    await reload(site, bw, yaml('interval: 200ms, on_reload: false, cpu_class: idle'));
    const second = (await waitEvent(bw, 'agent_started', (l) => l['cpu_class'] === 'idle'))['agent_pid'];
    expect(second).not.toBe(first);

    await reload(site, bw, yaml());
    await waitEvent(bw, 'backup_agent_removed');
    await waitBackupStatus(bw, (b) => b === undefined, 'gone');
    // Stopped: after its last snapshot, or (idle class on a busy machine) killed 5 s after SIGTERM.
    await waitFor(() => !alive(second as number), EVENT_BOUND_MS, `agent ${String(second)} to exit`);
    expect((await getStatus(bw.adminUrl)).config.needs_restart).toEqual([]);
  }, BACKUP_TEST_MS);

  it('refuses an encrypt_key_env naming an unset variable: at start, in the agent, on reload', async () => {
    const origins = await h.namedOrigins(['a']);
    const keyed = backupConfig({ servers: serversOf(origins, ['a']), backup: `interval: 1h, encrypt_key_env: ${UNSET}` });
    const site = await BackupSite.create(h, keyed);
    const rule = `backup.encrypt_key_env: names ${UNSET}, which is not set or empty`;
    await expect(site.start({})).rejects.toThrow(`${site.configFile}: ${rule}`);
    const cli = await runCli(['start', '-c', site.configFile], EVENT_BOUND_MS);
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stderr).toContain(rule);
    const agent = spawn(process.execPath, [CLI, 'backup', 'agent', '-c', site.configFile, '--admin', 'http://127.0.0.1:1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    h.defer(() => agent.kill('SIGKILL'));
    let err = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await withTimeout(new Promise((r) => agent.once('close', r)), EVENT_BOUND_MS, 'the agent to refuse');
    expect(code).toBe(1);
    expect(err).toContain(`backup.encrypt_key_env names ${UNSET}, which is not set or empty`);

    // Running with the key set; a reload naming an unset one is rejected and changes nothing.
    await writeFile(site.configFile, keyed.replace(UNSET, 'THE_KEY'));
    const bw = await site.start({ THE_KEY: 'secret' });
    await waitEvent(bw, 'agent_started');
    await writeFile(site.configFile, keyed);
    const r = await adminPost(bw.adminUrl, '/reload');
    expect(r.status).toBe(400);
    expect(r.text).toContain(rule);
    expect((await getStatus(bw.adminUrl)).config.version).toBe(1);
  }, BACKUP_TEST_MS);

  it('on_reload: true snapshots a reload; false does not', async () => {
    const runs = await Promise.all(
      [true, false].map(async (onReload) => {
        const origins = await h.namedOrigins(['a']);
        const yaml = backupConfig({ servers: serversOf(origins, ['a']), backup: `interval: 1h, on_reload: ${onReload}` });
        const site = await BackupSite.create(h, yaml);
        const bw = await site.start();
        await waitEvent(bw, 'agent_started');
        return { site, bw, changed: yaml.replace('access: false', 'access: true') };
      }),
    );
    const [withIt, without] = runs as [(typeof runs)[0], (typeof runs)[0]];
    const t0 = Date.now();
    await Promise.all(runs.map((r) => reload(r.site, r.bw, r.changed)));
    await waitEvent(withIt.bw, 'snapshot_created', (l) => l['trigger'] === 'reload' && l['config_version'] === 2);
    // The agent polls the version every second: three times what the true one took, at least 3 s.
    await sleep(Math.max(3000, 3 * (Date.now() - t0)));
    expect(without.bw.events('snapshot_created')).toEqual([]);
  }, BACKUP_TEST_MS);
});
