/**
 * @module test/integration/workers-reload
 * Reloads of a worker group as real processes (the built CLI, `workers: 2`): a config the
 * primary applies but its workers refuse (a listen address they cannot bind) is reported
 * as such: logged per worker, shown in /status's `workers`, and POST /reload answers 500
 * naming them; a later reload retries them. A worker restarted after a reload that changed
 * a restart-only key runs what the group runs (the value at start), not the file's.
 */
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGroup, waitAsync, workerPids, workersOf } from '../helpers/group.js';
import { assertBuilt } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';
import { saveFile } from '../helpers/reload.js';

function config(origin: string, listen = '127.0.0.1:0', extra = ''): string {
  return `listen: ${listen}\nworkers: 2\nadmin:\n  listen: 127.0.0.1:0\nupstreams:\n  web:\n    servers:\n      - url: ${origin}\nroutes:\n  - upstream: web\n${extra}`;
}

interface WorkerStatus {
  id: number;
  pid: number;
  config_version: number;
  reload_error: { version: number; errors: string[] } | null;
}

describe('workers: 2 reloads', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('a config the workers cannot apply (a port taken): logged per worker, in /status, POST /reload answers 500; a later reload retries', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    h.defer(() => new Promise((r) => (taken.listening ? taken.close(r) : r(undefined))));
    const port = (taken.address() as net.AddressInfo).port;
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, config(a!.url));
    const admin = `http://127.0.0.1:${p.adminPort}`;
    const status = async (): Promise<{ config: { version: number }; workers: WorkerStatus[] }> => JSON.parse((await send(admin, { path: '/status' })).text);
    await saveFile(p.file, config(a!.url, `127.0.0.1:${port}`), 'rename');
    const refused = (pid: number) => (l: Record<string, unknown>) => l['event'] === 'worker_reload_rejected' && l['worker_pid'] === pid;
    // The watcher applies it, and both workers refuse it.
    await p.waitForLog((l) => l['event'] === 'config_reloaded' && l['trigger'] === 'file' && l['pid'] === p.child.pid, 15_000);
    for (const pid of workerPids(p)) await p.waitForLog(refused(pid), 15_000);
    // A reload of the unchanged file finds them behind and sends it again: they refuse it again.
    const r = await send(admin, { method: 'POST', path: '/reload' });
    expect(r.status).toBe(500);
    const body = JSON.parse(r.text) as { error: string; details: string[] };
    expect(body.error).toMatch(/^config version 2 applied by the primary, but 2 worker\(s\) rejected it/);
    expect(body.details).toHaveLength(2);
    for (const d of body.details) expect(d).toContain(`cannot listen on 127.0.0.1:${port}`);
    for (const pid of workerPids(p)) {
      const line = await p.waitForLog(refused(pid), 15_000);
      expect(line).toMatchObject({ version: 2, running_version: 1 });
      expect(String(line['errors'])).toContain(`cannot listen on 127.0.0.1:${port}`);
    }
    const st = await status();
    expect(st.config.version).toBe(2);
    for (const w of st.workers) {
      expect(w).toMatchObject({ config_version: 1, reload_error: { version: 2 } });
      expect(w.reload_error!.errors.join()).toContain(`cannot listen on 127.0.0.1:${port}`);
    }
    // They still serve the previous config.
    expect((await send(p.url)).status).toBe(200);

    // Once the port is free, a reload brings them to it.
    await new Promise((r) => taken.close(r));
    const retried = await send(admin, { method: 'POST', path: '/reload' });
    expect(retried.status).toBe(200);
    expect(JSON.parse(retried.text)).toMatchObject({ result: 'unchanged', version: 2 });
    expect(JSON.parse(retried.text)).not.toHaveProperty('workers_rejected');
    expect((await status()).workers.map((w) => [w.config_version, w.reload_error])).toEqual([[2, null], [2, null]]);
    await waitAsync(async () => (await send(`http://127.0.0.1:${port}`)).status === 200, 10_000, 'the new address to serve');
  }, 90_000);

  it('a worker restarted after a reload that changed front.max_header_size keeps the value the group runs (as at start)', async () => {
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, config(a!.url, undefined, 'front:\n  max_header_size: 8kb\n'));
    const pids = workerPids(p);
    await saveFile(p.file, config(a!.url, undefined, 'front:\n  max_header_size: 64kb\n'), 'rename');
    await p.waitForLog((l) => l['event'] === 'needs_restart' && l['key'] === 'front.max_header_size' && l['pid'] === p.child.pid, 15_000);
    const [victim] = await workersOf(p);
    process.kill(victim!.pid, 'SIGKILL');
    const back = await p.waitForLog((l) => l['event'] === 'worker_restarted', 15_000);
    const fresh = Number(back['worker_pid']);
    expect(fresh).not.toBe(victim!.pid);
    // The new worker is in the rotation (cluster hands fresh connections to the workers in turn).
    await waitAsync(async () => (await send(p.url)).status === 200 && p.logs().some((l) => l['msg'] === 'access' && l['pid'] === fresh), 15_000, 'a request served by the new worker');
    // A 12 KiB head: over the 8 KiB the group runs, under the file's 64 KiB (and the origin's 16 KiB).
    const big = { headers: { 'x-big': 'a'.repeat(12 * 1024) } };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(p.url, big)).status);
    expect(statuses).toEqual(Array(10).fill(431));
  }, 90_000);
});
