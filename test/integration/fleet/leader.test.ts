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
import { startFleet, type TestFleet } from '../../helpers/fleet.js';
import { useHarness } from '../../helpers/harness.js';
import { LEASE_MS } from '../../../src/runtime/fleet/leader.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 30_000;

interface View { leader: string | null; leader_term: number | null }

/** Polls the named nodes until all of them name the same leader that `ok` accepts. */
async function agreedLeader(f: TestFleet, names: readonly string[], ok: (v: View) => boolean): Promise<View & { ms: number }> {
  const t0 = Date.now();
  let views: View[] = [];
  for (;;) {
    views = (await Promise.all(names.map((n) => f.status(n)))) as unknown as View[];
    const first = views[0]!;
    if (first.leader !== null && ok(first) && views.every((v) => v.leader === first.leader && v.leader_term === first.leader_term)) return { ...first, ms: Date.now() - t0 };
    if (Date.now() - t0 > WAIT) throw new Error(`no agreed leader: ${JSON.stringify(views)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function threeNodes(): Promise<TestFleet> {
  const origin = await h.origin();
  return startFleet(h, { names: ['lb-a', 'lb-b', 'lb-c'], config: (s) => simpleConfig([origin.url], { top: s.fleetBlock() }) });
}

describe('fleet leader lease', () => {
  beforeAll(assertBuilt);

  it('kill -9 of the leader: another node takes over after the lease runs out, under a higher term', async () => {
    const f = await threeNodes();
    const first = await agreedLeader(f, ['lb-a', 'lb-b', 'lb-c'], () => true);
    const logged = f.node(first.leader!).proc.logs().filter((l) => l['event'] === 'fleet_leader_elected');
    expect(logged.map((l) => l['token'])).toEqual([first.leader_term]);

    const t0 = Date.now();
    await f.kill(first.leader!);
    const rest = f.nodes.map((n) => n.name).filter((n) => n !== first.leader);
    const next = await agreedLeader(f, rest, (v) => v.leader !== first.leader);
    const ms = Date.now() - t0;
    expect(next.leader_term).toBeGreaterThan(first.leader_term!);
    // The lease (5 s) plus a renewal round; the real bound is generous for a busy machine.
    console.log(`leader ${first.leader} killed: ${next.leader} took over in ${ms} ms (lease ${LEASE_MS} ms)`);
    expect(ms).toBeLessThan(WAIT);
  }, 90_000);

  it('a leader paused past its lease wakes up as a follower: its renewal fails and it says so', async () => {
    const f = await threeNodes();
    const first = await agreedLeader(f, ['lb-a', 'lb-b', 'lb-c'], () => true);
    const old = f.node(first.leader!);
    old.proc.signal('SIGSTOP');
    h.defer(() => old.proc.signal('SIGCONT'));
    const rest = f.nodes.map((n) => n.name).filter((n) => n !== first.leader);
    const next = await agreedLeader(f, rest, (v) => v.leader !== first.leader);
    expect(next.leader_term).toBeGreaterThan(first.leader_term!);
    old.proc.signal('SIGCONT');
    const lost = await old.proc.waitForLog((l) => l['event'] === 'fleet_leader_lost', WAIT);
    expect(lost['token']).toBe(first.leader_term);
    // All three, the woken one included, name the new leader and its term.
    await agreedLeader(f, ['lb-a', 'lb-b', 'lb-c'], (v) => v.leader === next.leader && v.leader_term === next.leader_term);
  }, 90_000);

  it('a leader stopped with SIGTERM gives the lease up: another leads well before it would have expired', async () => {
    const f = await threeNodes();
    const first = await agreedLeader(f, ['lb-a', 'lb-b', 'lb-c'], () => true);
    const old = f.node(first.leader!);
    old.proc.signal('SIGTERM');
    expect(await old.proc.waitExit(20_000)).toEqual({ code: 0, signal: null });
    expect(old.proc.logs().filter((l) => l['event'] === 'fleet_leader_released').map((l) => l['token'])).toEqual([first.leader_term]);
    const rest = f.nodes.map((n) => n.name).filter((n) => n !== first.leader);
    const next = await agreedLeader(f, rest, (v) => v.leader !== first.leader);
    expect(next.leader_term).toBe(first.leader_term! + 1);
  }, 90_000);
});
