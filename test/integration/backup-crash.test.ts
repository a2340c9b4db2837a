/**
 * @module test/integration/backup-crash.test
 * SIGKILL of the backup agent in the middle of writing a snapshot. The kill lands mid-write
 * by construction, not by luck: strace (attached to the running agent) holds each of its
 * fsync calls for a few seconds at entry, so once a `.tmp-*` folder holds sessions.ndjson
 * but no manifest.json, the agent stays inside that write for seconds, and is killed then.
 * The test asserts that what the kill left is such a half-written folder. Afterwards every
 * snapshot listed verifies (`bulwark backup verify`, the real CLI), the supervisor restarts
 * the agent, its next run completes (taking over the dead agent's lock and removing the
 * leftover temp folder), and requests through the proxy never failed. Needs strace.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifySnapshot } from '../../src/backup/index.js';
import { assertBuilt } from '../helpers/cli.js';
import { BACKUP_TEST_MS, backupConfig, BackupSite, EVENT_BOUND_MS, requestLoop, serversOf, sessionsNdjson, waitEvent } from '../helpers/backup.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { adminPost } from '../helpers/reload.js';

const SESSIONS = 50_000;


async function tempFolders(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('.tmp-'));
}

/** How long each fsync of the traced agent is held at its entry, µs. */
const FSYNC_HOLD_US = 5_000_000;

/** Holds every fsync of `pid` (all its threads) for FSYNC_HOLD_US (strace fault injection); resolves once attached. */
async function holdFsyncs(h: Harness, pid: number): Promise<void> {
  const args = ['-f', '-o', '/dev/null', '-e', 'trace=fsync', '-e', `inject=fsync:delay_enter=${FSYNC_HOLD_US}`, '-p', String(pid)];
  const strace = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  h.defer(() => void (strace.exitCode === null && strace.signalCode === null && strace.kill('SIGKILL')));
  let err = '';
  strace.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const failed = new Promise<never>((_, reject) => {
    strace.once('error', (e) => reject(new Error(`this test needs strace (apt-get install strace): ${e.message}`)));
    strace.once('exit', (code) => reject(new Error(`strace exited (${code}) before attaching: ${err}`)));
  });
  await Promise.race([waitFor(() => /attached/.test(err), EVENT_BOUND_MS, 'strace to attach to the agent'), failed]);
}

/** A `.tmp-*` folder in `dir` holding sessions.ndjson but no manifest.json: a snapshot mid-write. */
async function midWrite(dir: string): Promise<string | undefined> {
  for (const t of await tempFolders(dir)) {
    const files = await readdir(join(dir, t)).catch(() => [] as string[]);
    if (files.includes('sessions.ndjson') && !files.includes('manifest.json')) return t;
  }
  return undefined;
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
    const imported = await adminPost(bw.adminUrl, '/sessions/import?mode=replace', sessionsNdjson(SESSIONS, names));
    expect(imported.status, imported.text).toBe(200);
    const firstAgent = (await waitEvent(bw, 'backup_agent_started'))['agent_pid'] as number;
    await waitEvent(bw, 'snapshot_created', (l) => l['sessions'] === SESSIONS);

    const loop = requestLoop(bw.url);
    // Kill the agent while it is inside a snapshot's write (held there by strace).
    await holdFsyncs(h, firstAgent);
    let caught: string | undefined;
    const deadline = Date.now() + EVENT_BOUND_MS;
    while ((caught = await midWrite(site.backups)) === undefined) {
      if (Date.now() > deadline) throw new Error(`no snapshot mid-write (sessions.ndjson, no manifest.json) in ${site.backups} within ${EVENT_BOUND_MS} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(firstAgent, 'SIGKILL');
    await waitEvent(bw, 'backup_agent_exited', (l) => l['agent_pid'] === firstAgent && l['signal'] === 'SIGKILL');
    // What the kill left: the half-written folder, never completed.
    const left = await readdir(join(site.backups, caught));
    expect(left).toContain('sessions.ndjson');
    expect(left).not.toContain('manifest.json');

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
  }, BACKUP_TEST_MS);
});
