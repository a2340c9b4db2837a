/**
 * @module test/integration/backup-cli.test
 * The `bulwark backup` commands' errors and edges, through the real CLI: usage errors exit
 * 2; a config without a backup block, an unreachable proxy (the message names the URL), an
 * unknown snapshot or a time with no snapshot before it exit 1 naming what was wrong; a
 * config that does not validate still gives its backup block (with a warning); and the
 * agent run on its own (`bulwark backup agent --admin URL`) snapshots on its interval and
 * exits 0 on SIGTERM after a last snapshot. Each command has its own help (synopsis, flags,
 * the variables it reads, an example), and `restore` takes the config file as -c/--config
 * FILE like every command, its parts as `--only config|sessions`.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnapshot } from '../../src/backup/index.js';
import { assertBuilt, CLI, runCli } from '../helpers/cli.js';
import { BACKUP_TEST_MS, backupCli, backupConfig, BackupSite, EVENT_BOUND_MS, serversOf } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';
import { refusingPort } from '../helpers/origin.js';
import { waitFor, withTimeout } from '../helpers/net.js';

describe('bulwark backup: errors and the standalone agent', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('exits 2 on bad usage and 1 on failures, saying what and where', async () => {
    const site = await BackupSite.create(h, backupConfig({ servers: [{ name: 'a', url: 'http://127.0.0.1:1' }] }));
    const plain = join(site.dir, 'plain.yaml');
    await writeFile(plain, 'upstreams: { web: { servers: [ { url: "http://127.0.0.1:1" } ] } }\nroutes: [ { upstream: web } ]\n');
    const broken = join(site.dir, 'broken.yaml');
    await writeFile(broken, `${backupConfig({ servers: [{ name: 'a', url: 'http://127.0.0.1:1' }] })}routes_typo: 1\n`);
    const port = await refusingPort();
    const c = site.configFile;
    const [frob, extra, noId, badTime, noBlock, unreachable, empty, unknown, noneBefore, warned] = await Promise.all([
      backupCli(['frob', '-c', c]),
      backupCli(['list', 'extra', '-c', c]),
      backupCli(['restore', '-c', c]),
      backupCli(['restore', '--before', 'yesterday', '-c', c]),
      backupCli(['list', '-c', plain]),
      backupCli(['create', '-c', c, '--admin', `http://127.0.0.1:${port}`]),
      backupCli(['list', '-c', c]),
      backupCli(['verify', '20260101T000000000Z-abcd', '-c', c]),
      backupCli(['restore', '--before', '2026-01-01T10:00Z', '-c', c]),
      backupCli(['list', '-c', broken]),
    ]);
    for (const r of [frob, extra, noId, badTime]) expect(r.code, r.stderr).toBe(2);
    expect(frob.stderr).toContain('unknown backup command "frob"');
    expect(extra.stderr).toContain('backup list: unexpected argument "extra"');
    expect(noId.stderr).toContain('give a snapshot ID or --before TIME');
    expect(badTime.stderr).toContain('--before: "yesterday" is not a time like 2026-11-28T10:00Z');
    for (const r of [noBlock, unreachable, unknown, noneBefore]) expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(noBlock.stderr).toContain(`${plain} has no backup: block`);
    expect(unreachable.stderr).toContain(`cannot reach the bulwark admin API at http://127.0.0.1:${port}`);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(`no snapshots in ${site.backups}`);
    expect(unknown.stdout).toContain(`snapshot 20260101T000000000Z-abcd: not found in ${site.backups}`);
    expect(noneBefore.stderr).toContain(`no snapshot in ${site.backups} verifies and was created at or before 2026-01-01T10:00:00.000Z`);
    // Each failure carries its stable code (core/errors.ts); BLWK_USAGE is the one that exits 2.
    for (const r of [frob, extra, noId, badTime]) expect(r.stderr).toContain('[BLWK_USAGE]');
    expect(noBlock.stderr).toContain('[BLWK_CONFIG_INVALID]');
    expect(unreachable.stderr).toContain('[BLWK_ADMIN_UNREACHABLE]');
    expect(noneBefore.stderr).toContain('[BLWK_BACKUP_NOT_FOUND]');
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`warning: ${broken} is not a valid config`);
    expect(warned.stdout).toContain(`no snapshots in ${join(site.dir, 'backups')}`);
  }, BACKUP_TEST_MS);

  it.each([
    ['list', '--json', []],
    ['create', '--admin URL', ['BULWARK_ADMIN_URL']],
    ['verify', '--all', []],
    ['restore', '--only config|sessions', ['BULWARK_ADMIN_URL']],
    ['prune', '-c, --config FILE', []],
    ['agent', '--admin URL', ['BULWARK_ADMIN_URL', 'BULWARK_BACKUP_SUPERVISED']],
  ])('backup %s --help prints its own help (as bulwark help backup CMD does) and exits 0', async (command, flag, env) => {
    const [own, viaHelp, viaBackupHelp] = await Promise.all([backupCli([command, '--help']), runCli(['help', 'backup', command]), backupCli(['help', command])]);
    for (const r of [own, viaHelp, viaBackupHelp]) expect(r.code, r.stderr).toBe(0);
    expect(viaHelp.stdout).toBe(own.stdout);
    expect(viaBackupHelp.stdout).toBe(own.stdout);
    expect(own.stdout).toMatch(new RegExp(`^Usage: bulwark backup ${command} `));
    expect(own.stdout).toContain(`\n  ${flag} `);
    expect(own.stdout).toContain('$backup.encrypt_key_env');
    for (const name of env) expect(own.stdout).toContain(`\n  ${name} `);
    expect(own.stdout).toMatch(new RegExp(`Example:\\n {2}bulwark backup ${command} .*-c conf/bulwark\\.yaml`));
    expect(own.stdout).not.toContain('Commands (each reads');
  });

  it('restore reads -c/--config FILE like every command; --only picks a part; the old part flags say to use --only', async () => {
    const site = await BackupSite.create(h, backupConfig({ servers: [{ name: 'a', url: 'http://127.0.0.1:1' }] }));
    const configText = (await readFile(site.configFile, 'utf8')).replace('127.0.0.1:1', '127.0.0.1:2');
    const { id } = await createSnapshot(site.backups, { configText, configVersion: 3, sessions: [] });
    const c = site.configFile;
    const [long, onlyConfig, onlySessions, oldConfig, oldConfigBeforeId, oldSessions, badOnly] = await Promise.all([
      backupCli(['restore', id, '--config', c, '--dry-run']),
      backupCli(['restore', id, '--config', c, '--only', 'config', '--dry-run']),
      backupCli(['restore', id, '-c', c, '--only=sessions', '--dry-run']),
      backupCli(['restore', id, '-c', c, '--config']),
      backupCli(['restore', '--config', id, '-c', c]),
      backupCli(['restore', id, '-c', c, '--sessions']),
      backupCli(['restore', id, '-c', c, '--only', 'both']),
    ]);
    for (const r of [long, onlyConfig, onlySessions]) expect(r.code, r.stderr).toBe(0);
    expect(long.stdout).toContain(`config: changes to ${c}:`);
    expect(long.stdout).toContain('-      - { name: a, url: "http://127.0.0.1:1" }');
    expect(long.stdout).toContain('sessions: 0 would replace the running tables');
    expect(onlyConfig.stdout).toContain(`config: changes to ${c}:`);
    expect(onlyConfig.stdout).not.toContain('sessions:');
    expect(onlySessions.stdout).toContain('sessions: 0 would replace');
    expect(onlySessions.stdout).not.toContain('config:');
    for (const r of [oldConfig, oldConfigBeforeId, oldSessions, badOnly]) expect(r.code, r.stdout + r.stderr).toBe(2);
    for (const r of [oldConfig, oldConfigBeforeId]) expect(r.stderr).toContain('--config no longer selects a part: use --only config (-c/--config FILE names the config file)');
    expect(oldSessions.stderr).toContain('--sessions no longer selects a part: use --only sessions');
    expect(badOnly.stderr).toContain('--only "both": must be config or sessions (without --only, both)');
    expect(oldSessions.stderr).toContain('Usage: bulwark backup restore');
    // Nothing was written back by any of them.
    expect(await readFile(c, 'utf8')).not.toBe(configText);
  }, BACKUP_TEST_MS);

  it('runs the agent on its own until SIGTERM, then exits 0 after a last snapshot', async () => {
    const names = ['a'];
    const origins = await h.namedOrigins(names);
    // bulwark runs without a backup block (no supervised agent); the agent reads its own file.
    const proxySite = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names) }).replace(/^backup:.*$/m, ''));
    const bw = await proxySite.start();
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 200ms' }));
    const agent = spawn(process.execPath, [CLI, 'backup', 'agent', '-c', site.configFile, '--admin', bw.adminUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    h.defer(() => agent.kill('SIGKILL'));
    let out = '';
    agent.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await waitFor(() => out.includes('"event":"snapshot_created"'), EVENT_BOUND_MS, 'a snapshot from the agent');
    agent.kill('SIGTERM');
    expect(await withTimeout(exited, EVENT_BOUND_MS, 'the agent to exit')).toBe(0);
    const events = out.trim().split('\n').map((l) => (JSON.parse(l) as { event: string; trigger?: string }));
    expect(events.map((e) => e.event)).toContain('agent_stopped');
    expect(events.some((e) => e.event === 'snapshot_created' && e.trigger === 'shutdown')).toBe(true);
  }, BACKUP_TEST_MS);
});
