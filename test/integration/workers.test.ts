/**
 * @module test/integration/workers
 * `workers: 2` as real processes (the built CLI): requests spread over both workers, an
 * origin that dies is dropped by both within one check interval plus 1 s (the primary's
 * health checks reach every worker), and a reload of the file reaches both.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { accessByPid, loadUntil, LogTail, sendMany, startGroup, workerPids } from '../helpers/group.js';
import { assertBuilt } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { saveFile } from '../helpers/reload.js';

const INTERVAL_MS = 500;

function groupConfig(origins: ReadonlyArray<{ url: string }>, extra = ''): string {
  return `listen: 127.0.0.1:0
workers: 2
admin:
  listen: 127.0.0.1:0
upstreams:
  web:
    health_check: { interval: ${INTERVAL_MS}ms, timeout: 400ms, rise: 1, fall: 1 }
    servers:
${origins.map((o) => `      - url: ${o.url}\n`).join('')}routes:
  - upstream: web
${extra}`;
}

describe('workers: 2', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('spreads requests over both workers (their access lines carry their pids)', async () => {
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, groupConfig([a!]));
    const pids = workerPids(p);
    expect(pids).toHaveLength(2);
    const r = await sendMany(p.url, 60);
    expect(r).toMatchObject({ ok: 60, failed: 0 });
    await waitFor(() => [...accessByPid(p).values()].reduce((x, y) => x + y, 0) === 60, 10_000, 'the 60 access lines');
    const byPid = accessByPid(p);
    expect([...byPid.keys()].sort()).toEqual([...pids].sort());
    for (const pid of pids) expect(byPid.get(pid)).toBeGreaterThan(0);
  }, 60_000);

  it('an origin killed: every worker drops it within one check interval + 1 s, then no request fails; the flag is logged once', async () => {
    const [a, b] = await h.namedOrigins(['a', 'b']);
    // At debug level each worker logs the flag it is sent (at the primary's level only the primary's line shows).
    const p = await startGroup(h, groupConfig([a!, b!], 'log:\n  level: debug\n'));
    const pids = workerPids(p);
    await a!.close();
    const flagged = (pid: number) => (l: Record<string, unknown>) => l['event'] === 'server_flag_set' && l['flag'] === 'failed_health_check' && l['pid'] === pid;
    const byPrimary = await p.waitForLog(flagged(p.child.pid!), 15_000);
    for (const pid of pids) {
      const byWorker = await p.waitForLog(flagged(pid), 15_000);
      expect(Number(byWorker['time']) - Number(byPrimary['time'])).toBeLessThanOrEqual(INTERVAL_MS + 1000);
    }
    const r = await sendMany(p.url, 40);
    expect(r.errors).toEqual([]);
    expect(Object.fromEntries(r.bodies)).toEqual({ b: 40 });
    // One line above debug for the group's flag: the primary's (a worker logs only its own decisions there).
    const lines = p.logs().filter((l) => l['event'] === 'server_flag_set' && l['flag'] === 'failed_health_check');
    expect(lines.filter((l) => Number(l['level']) > 20).map((l) => [l['pid'], l['level']])).toEqual([[p.child.pid, 40]]);
    expect(lines.filter((l) => l['pid'] !== p.child.pid).map((l) => l['level'])).toEqual([20, 20]);
  }, 60_000);

  it('a saved file reaches both workers; 20 reloads under light load fail no request', async () => {
    const [a, b] = await h.namedOrigins(['a', 'b']);
    // No access lines: only the reload lines are read, and the load would bury them.
    const quiet = 'log:\n  access: false\n';
    const p = await startGroup(h, groupConfig([a!], quiet));
    const processes = [p.child.pid!, ...workerPids(p)];
    const tail = new LogTail(p);
    const reloaded = new Set<string>();
    const applied = (v: number) => (): boolean => {
      for (const l of tail.fresh()) if (l['event'] === 'config_reloaded') reloaded.add(`${String(l['pid'])}@${String(l['version'])}`);
      return processes.every((pid) => reloaded.has(`${pid}@${v}`));
    };
    await saveFile(p.file, groupConfig([b!], quiet));
    await waitFor(applied(2), 15_000, 'version 2 in the primary and both workers');
    const after = await sendMany(p.url, 40);
    expect(Object.fromEntries(after.bodies)).toEqual({ b: 40 });

    let done = false;
    const load = loadUntil(p.url, 2, () => done);
    try {
      for (let v = 3; v <= 22; v++) {
        await saveFile(p.file, groupConfig(v % 2 === 0 ? [b!, a!] : [a!, b!], quiet));
        await waitFor(applied(v), 15_000, `version ${v} in the primary and both workers`);
      }
    } finally {
      done = true;
    }
    const r = await load;
    expect(r.errors).toEqual([]);
    expect(r.ok).toBeGreaterThan(0);
    expect(tail.lines().filter((l) => l['event'] === 'worker_reload_rejected')).toEqual([]);
  }, 180_000);
});
