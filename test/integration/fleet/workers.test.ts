/**
 * @module test/integration/fleet/workers
 * A fleet node with `workers: 2` (real processes): the Fleet runs in the primary, so the
 * node is one member of the fleet (not one per worker), its /status shows the fleet, both
 * workers serve, and Redis lost and back changes neither the serving nor the membership.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { simpleConfig } from '../../helpers/bulwark.js';
import { assertBuilt, CliProcess } from '../../helpers/cli.js';
import { fleetStatusAt, uniquePrefix, waitFleetStatus } from '../../helpers/fleet.js';
import { accessByPid, startGroup, workerPids } from '../../helpers/group.js';
import { useHarness } from '../../helpers/harness.js';
import { send } from '../../helpers/net.js';
import { startRedis } from '../../helpers/redis.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 30_000;

beforeAll(assertBuilt);

interface FleetView { node: string; connected: boolean; nodes: Array<{ node: string; healthy: boolean }> }

const admin = (p: CliProcess): string => `http://127.0.0.1:${p.adminPort}`;
const waitFleet = (p: CliProcess, cond: (f: FleetView) => boolean, what: string): Promise<FleetView> => waitFleetStatus(admin(p), cond, what, WAIT);

const healthy = (f: FleetView): string[] => f.nodes.filter((n) => n.healthy).map((n) => n.node);

describe('a fleet node with workers: 2', () => {
  it('joins the fleet once, from its primary; both workers serve, through a Redis outage too', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const origin = await h.origin();
    const prefix = uniquePrefix('workers');
    const fleet = (name: string): string => `fleet: { redis: "${redis.url}", node: ${name}, prefix: "${prefix}" }`;
    const w = await startGroup(h, simpleConfig([origin.url], { top: `workers: 2\n${fleet('lb-w')}` }));
    const s = await CliProcess.start(h, simpleConfig([origin.url], { top: fleet('lb-s') }));

    for (const p of [w, s]) await waitFleet(p, (f) => f.connected && healthy(f).join() === 'lb-s,lb-w', 'both nodes healthy');
    expect((await fleetStatusAt<FleetView>(admin(w))).node).toBe('lb-w');
    // One member for the whole group: the workers never heartbeat as nodes of their own.
    const members = await promisify(execFile)('redis-cli', ['-p', String(redis.port), 'SMEMBERS', `${prefix}nodes`]);
    expect(members.stdout.trim().split('\n').sort()).toEqual(['lb-s', 'lb-w']);

    const serveAll = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) expect((await send(w.url)).status).toBe(200);
    };
    await serveAll(40);
    const pids = workerPids(w);
    expect(pids).toHaveLength(2);
    await waitFleet(w, () => pids.every((pid) => (accessByPid(w).get(pid) ?? 0) > 0), 'both workers to serve');

    await redis.stop();
    await waitFleet(w, (f) => !f.connected, 'the primary to see Redis down');
    await serveAll(20);
    await redis.restart();
    // Redis came back empty: the primary's heartbeats make lb-w a member again, seen from lb-s.
    await waitFleet(s, (f) => f.connected && healthy(f).join() === 'lb-s,lb-w', 'lb-w back in lb-s\'s view');
    await waitFleet(w, (f) => f.connected, 'the primary to reconnect');
    await serveAll(20);
    // One warning per process for the outage (each worker has its own link for the sticky tables).
    const downs = w.logs().filter((l) => l['event'] === 'fleet_redis_down').map((l) => l['pid']);
    expect(downs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(downs).size).toBe(downs.length);
  }, 120_000);
});
