/**
 * @module test/integration/workers-lifecycle
 * A worker group's processes over their life (the built CLI, `workers: 2`): a worker
 * killed with SIGKILL under load costs only its own in-flight requests and comes back
 * (logged and counted), SIGTERM lets an in-flight request finish before every process
 * exits, and a worker that cannot start fails the start.
 */
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { alive, loadUntil, sendMany, startGroup, waitAsync, workerPids, workersOf } from '../helpers/group.js';
import { assertBuilt, CliProcess, tempConfig } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { deferred, send, waitFor } from '../helpers/net.js';

const CONCURRENCY = 4;

function config(origin: string, listen = '127.0.0.1:0'): string {
  return `listen: ${listen}\nworkers: 2\nadmin:\n  listen: 127.0.0.1:0\nupstreams:\n  web:\n    servers:\n      - url: ${origin}\nroutes:\n  - upstream: web\n`;
}

describe('workers: 2 lifecycle', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('kill -9 of one worker under load: at most its in-flight requests fail, and it comes back', async () => {
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, config(a!.url));
    const [victim, other] = await workersOf(p);
    let restarted = false;
    const load = loadUntil(p.url, CONCURRENCY, () => restarted);
    // Some load reaches the victim before it dies.
    await waitFor(() => p.logs().some((l) => l['msg'] === 'access' && l['pid'] === victim!.pid), 10_000, 'a request served by the victim');
    process.kill(victim!.pid, 'SIGKILL');
    let now: Awaited<ReturnType<typeof workersOf>> = [];
    try {
      await waitAsync(async () => (now = await workersOf(p))[0]!.restarts === 1, 15_000, 'the worker restarted');
    } finally {
      restarted = true;
    }
    const r = await load;
    const back = await p.waitForLog((l) => l['event'] === 'worker_restarted', 15_000);
    // Each loop has one request in flight at a time: at most that many were on the victim.
    expect(r.failed).toBeLessThanOrEqual(CONCURRENCY);
    expect(r.ok).toBeGreaterThan(0);
    expect(p.logs().find((l) => l['event'] === 'worker_exit')).toMatchObject({ worker: victim!.id, worker_pid: victim!.pid, signal: 'SIGKILL' });
    expect(back).toMatchObject({ worker: victim!.id, restarts: 1 });
    expect(now).toEqual([
      expect.objectContaining({ id: victim!.id, pid: back['worker_pid'], restarts: 1 }),
      expect.objectContaining({ id: other!.id, pid: other!.pid, restarts: 0 }),
    ]);
    expect(back['worker_pid']).not.toBe(victim!.pid);
    const metrics = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/metrics' });
    expect(metrics.text).toMatch(/^bulwark_worker_restarts_total 1$/m);
    // The new worker serves.
    await waitAsync(async () => (await send(p.url)).status === 200 && p.logs().some((l) => l['msg'] === 'access' && l['pid'] === back['worker_pid']), 15_000, 'a request served by the new worker');
  }, 60_000);

  it('a drain and a weight on the primary reach every worker, and a restarted worker starts with them', async () => {
    const [a, b, c] = await h.namedOrigins(['a', 'b', 'c']);
    const servers = [a!, b!, c!].map((o, i) => `      - { name: ${'abc'[i]}, url: ${o.url} }\n`).join('');
    // At debug level each worker logs the flags it is sent.
    const yaml = `${config(a!.url).replace(/servers:\n.*\n/, `scheduler: weighted\n    servers:\n${servers}`)}log:\n  level: debug\n`;
    const p = await startGroup(h, yaml);
    const admin = `http://127.0.0.1:${p.adminPort}`;
    const post = async (path: string, body?: unknown): Promise<void> => {
      const r = await send(admin, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect(r.status).toBe(200);
    };
    await post('/servers/web/a/drain');
    await post('/servers/web/b/weight', { weight: 1000 });
    const pids = workerPids(p);
    for (const pid of pids) await p.waitForLog((l) => l['event'] === 'server_flag_set' && l['flag'] === 'draining' && l['pid'] === pid, 15_000);
    const check = async (): Promise<void> => {
      const r = await sendMany(p.url, 60);
      expect(r.errors).toEqual([]);
      expect(r.bodies.get('a')).toBeUndefined();
      // Weights 1000 against 1: c may get a request or two (weighted is smooth, per worker).
      expect(r.bodies.get('b')).toBeGreaterThanOrEqual(56);
    };
    await check();
    const [victim] = await workersOf(p);
    process.kill(victim!.pid, 'SIGKILL');
    await p.waitForLog((l) => l['event'] === 'worker_restarted', 15_000);
    await check();
  }, 60_000);

  it('SIGTERM drains: an in-flight slow request completes, then every process exits', async () => {
    const arrived = deferred<void>();
    const origin = await h.origin((_req, res) => {
      arrived.resolve();
      setTimeout(() => res.end('slow done'), 1500);
    });
    const p = await startGroup(h, config(origin.url));
    const pids = workerPids(p);
    const slow = send(p.url, { path: '/slow' });
    await arrived.promise;
    p.signal('SIGTERM');
    const r = await slow;
    expect(r).toMatchObject({ status: 200, text: 'slow done' });
    expect(await p.waitExit(20_000)).toEqual({ code: 0, signal: null });
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000, 'every worker to exit');
    expect(p.logs().filter((l) => l['event'] === 'worker_exit').map((l) => l['code'])).toEqual([0, 0]);
  }, 60_000);

  it('a worker that cannot bind fails the start: exit 1 with the reason, no process left', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    h.defer(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as net.AddressInfo).port;
    const [a] = await h.namedOrigins(['a']);
    const p = CliProcess.spawn(h, await tempConfig(h, config(a!.url, `127.0.0.1:${port}`)));
    expect(await p.waitExit(30_000)).toEqual({ code: 1, signal: null });
    expect(p.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    const pids = p.logs().flatMap((l) => (l['event'] === 'worker_exit' ? [Number(l['worker_pid'])] : []));
    expect(pids.length).toBeGreaterThan(0);
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000, 'every worker to exit');
  }, 60_000);
});
