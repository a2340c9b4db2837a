/**
 * @module test/integration/reload-sighup.test
 * SIGHUP reloads the real CLI (`bulwark start` as a child process):
 * - the file is changed and SIGHUP sent at once, racing the file watcher: at least one
 *   reload happens (trigger "signal" or "file"), exactly one version is added, and the new
 *   config serves;
 * - the config path is a symlink whose target lives in another folder, so the watcher (on
 *   the config file's folder) cannot see the target change: only SIGHUP picks it up, and the
 *   log says trigger "signal";
 * - SIGHUP with an invalid file: rejected and logged, the old config keeps serving;
 * - SIGHUP while bulwark is still starting (systemd's ExecReload, `docker kill -s HUP`)
 *   neither kills it (Node's default for an unhandled SIGHUP) nor is lost: the reload runs
 *   once it is up. The config is a FIFO, so start-up waits, deterministically, in the
 *   middle: reading it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { entries, getStatus, holdOrigins, saveFile, sleep, tally, waitRejected, waitVersion, webConfig, type HoldOrigin } from '../helpers/reload.js';

describe('SIGHUP reload (real CLI)', () => {
  const h = useHarness();
  beforeAll(() => assertBuilt());

  async function start(): Promise<{ cli: CliProcess; file: string; adminUrl: string; origins: HoldOrigin[] }> {
    const origins = await holdOrigins(h, ['a', 'b']);
    const cli = await CliProcess.start(h, webConfig(entries(origins.slice(0, 1))));
    const started = cli.logs().find((l) => l['event'] === 'started')!;
    return { cli, file: started['config'] as string, adminUrl: `http://127.0.0.1:${cli.adminPort}`, origins };
  }

  it('reloads on SIGHUP sent right after the file changed (racing the watcher)', async () => {
    const { cli, file, adminUrl, origins } = await start();
    expect(await tally(cli.url, 4)).toEqual({ a: 4 });
    await saveFile(file, webConfig(entries(origins.slice(1))));
    cli.signal('SIGHUP');
    const reloaded = await cli.waitForLog((l) => l['event'] === 'config_reloaded');
    expect(['signal', 'file']).toContain(reloaded['trigger']);
    expect(reloaded['version']).toBe(2);
    expect(await tally(cli.url, 4)).toEqual({ b: 4 });
    // The other trigger found nothing new: still version 2, one reload logged.
    await sleep(300);
    expect((await getStatus(adminUrl)).config.version).toBe(2);
    expect(cli.logs().filter((l) => l['event'] === 'config_reloaded')).toHaveLength(1);
    expect(cli.child.exitCode).toBeNull();
  });

  it('reloads on SIGHUP alone when the watcher cannot see the change (symlinked config)', async () => {
    const { cli, file, adminUrl, origins } = await start();
    const elsewhere = await mkdtemp(join(tmpdir(), 'bulwark-target-'));
    h.defer(() => rm(elsewhere, { recursive: true, force: true }));
    const target = join(elsewhere, 'real.yaml');
    // Same text behind a symlink: the watcher sees the swap, but nothing changed.
    await writeFile(target, webConfig(entries(origins.slice(0, 1))));
    await symlink(target, `${file}.link`);
    await rename(`${file}.link`, file);
    await sleep(300);
    expect((await getStatus(adminUrl)).config.version).toBe(1);

    await writeFile(target, webConfig(entries(origins.slice(1))));
    await sleep(300); // the watcher has had its chance
    expect((await getStatus(adminUrl)).config.version).toBe(1);
    expect(await tally(cli.url, 2)).toEqual({ a: 2 });

    cli.signal('SIGHUP');
    await waitVersion(adminUrl, 2);
    expect(await cli.waitForLog((l) => l['event'] === 'config_reloaded')).toMatchObject({ trigger: 'signal', version: 2 });
    expect(await tally(cli.url, 4)).toEqual({ b: 4 });
  });

  it('logs a rejected SIGHUP reload and keeps serving the old config', async () => {
    const { cli, file, adminUrl, origins } = await start();
    const before = await getStatus(adminUrl);
    await saveFile(file, webConfig(entries(origins)).replace('scheduler:', 'schedular:'));
    cli.signal('SIGHUP');
    const doc = await waitRejected(adminUrl);
    expect(doc.config).toMatchObject({ version: 1, loaded_at: before.config.loaded_at });
    expect(doc.config.last_error!.errors).toEqual([expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+: upstreams\\.web\\.schedular: unknown key`))]);
    const rejected = await cli.waitForLog((l) => l['event'] === 'config_rejected');
    expect(['signal', 'file']).toContain(rejected['trigger']);
    expect(await tally(cli.url, 4)).toEqual({ a: 4 });
    expect(cli.child.exitCode).toBeNull();
  });

  it('handles SIGHUP from the moment start-up begins, and runs that reload once up', async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-fifo-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'bulwark.yaml');
    execFileSync('mkfifo', [fifo]);
    const cli = CliProcess.spawn(h, fifo);
    // bulwark now waits for a writer on the FIFO. SigCgt (proc(5)) is the mask of caught
    // signals: SIGHUP (1) is bit 0.
    const catchesHup = (): boolean => {
      const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${cli.child.pid}/status`, 'utf8'));
      return m !== null && (BigInt(`0x${m[1]}`) & 1n) === 1n;
    };
    await waitFor(catchesHup, 10_000, 'bulwark to handle SIGHUP while it reads its config');
    cli.signal('SIGHUP');
    await writeFile(fifo, webConfig(entries(origins.slice(0, 1))));
    await cli.started();
    // The reload asked for while starting reads the file again: this time it names b.
    await writeFile(fifo, webConfig(entries(origins.slice(1))));
    expect(await cli.waitForLog((l) => l['event'] === 'config_reloaded')).toMatchObject({ trigger: 'signal', version: 2 });
    expect(await tally(cli.url, 2)).toEqual({ b: 2 });
    expect(cli.child.exitCode).toBeNull();
  });
});
