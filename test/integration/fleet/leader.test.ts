/**
 * @module test/integration/fleet/leader
 * The leader lease on real bulwark processes and a real redis-server: one leader at a time,
 * named alike by every node; a kill -9'ed leader is replaced once its lease runs out, under a
 * higher term (fencing token); a leader paused past its lease (SIGSTOP, as a long GC pause)
 * finds on waking that it lost (compare-and-renew fails) and says so; a clean stop hands over.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { simpleConfig } from '../../helpers/bulwark.js';
import { assertBuilt } from '../../helpers/cli.js';
import { startFleet, type FleetNode, type TestFleet } from '../../helpers/fleet.js';
import { agreedLeader, LEADER_WAIT_MS as WAIT, successor } from '../../helpers/fleet-leader.js';
import { useHarness } from '../../helpers/harness.js';
import { LEASE_MS } from '../../../src/runtime/fleet/leader.js';

const h = useHarness();
const NAMES = ['lb-a', 'lb-b', 'lb-c'];

async function threeNodes(): Promise<TestFleet> {
  const origin = await h.origin();
  return startFleet(h, { names: NAMES, config: (s) => simpleConfig([origin.url], { top: s.fleetBlock() }) });
}

/** Three nodes, the leader they agree on, and its process. */
async function ledFleet(): Promise<{ f: TestFleet; first: { leader: string; term: number }; old: FleetNode }> {
  const f = await threeNodes();
  const first = await agreedLeader(f, NAMES);
  return { f, first, old: f.node(first.leader) };
}

describe('fleet leader lease', () => {
  beforeAll(assertBuilt);

  it('kill -9 of the leader: another node takes over after the lease runs out, under a higher term', async () => {
    const f = await threeNodes();
    const first = await agreedLeader(f, NAMES);
    const logged = f.node(first.leader).proc.logs().filter((l) => l['event'] === 'fleet_leader_elected');
    expect(logged.map((l) => l['token'])).toEqual([first.term]);

    const t0 = Date.now();
    await f.kill(first.leader);
    const next = await successor(f, first.leader);
    const ms = Date.now() - t0;
    expect(next.term).toBeGreaterThan(first.term);
    // The lease (5 s) plus a renewal round; the real bound is generous for a busy machine.
    console.log(`leader ${first.leader} killed: ${next.leader} took over in ${ms} ms (lease ${LEASE_MS} ms)`);
    expect(ms).toBeLessThan(WAIT);
  }, 90_000);

  it('a leader paused past its lease wakes up as a follower: its renewal fails and it says so', async () => {
    const { f, first, old } = await ledFleet();
    old.proc.signal('SIGSTOP');
    h.defer(() => old.proc.signal('SIGCONT'));
    const next = await successor(f, first.leader);
    expect(next.term).toBeGreaterThan(first.term);
    old.proc.signal('SIGCONT');
    const lost = await old.proc.waitForLog((l) => l['event'] === 'fleet_leader_lost', WAIT);
    expect(lost['token']).toBe(first.term);
    // All three, the woken one included, name the new leader and its term.
    await agreedLeader(f, NAMES, (v) => v.leader === next.leader && v.leader_term === next.term);
  }, 90_000);

  it('a leader stopped with SIGTERM deletes its lease (fleet_leader_released), and the next term has a higher token', async () => {
    const { f, first, old } = await ledFleet();
    old.proc.signal('SIGTERM');
    expect(await old.proc.waitExit(20_000)).toEqual({ code: 0, signal: null });
    expect(old.proc.logs().filter((l) => l['event'] === 'fleet_leader_released').map((l) => l['token'])).toEqual([first.term]);
    const next = await successor(f, first.leader);
    expect(next.term).toBeGreaterThan(first.term);
  }, 90_000);

  it('Redis restarted empty: the next leader\'s token is still above every earlier one (the storage would refuse it otherwise)', async () => {
    const f = await threeNodes();
    const first = await agreedLeader(f, NAMES);
    await f.redis.restart();
    // The old lease is gone with the data: whoever takes it now draws a token from an empty counter.
    const next = await agreedLeader(f, NAMES, (v) => v.leader_term !== first.term);
    expect(next.term).toBeGreaterThan(first.term);
  }, 90_000);
});
