/**
 * @module test/integration/fleet/pubsub
 * The node's one subscriber connection (runtime/fleet/pubsub) on a real redis-server: a
 * message reaches every node subscribed to the channel, within the node's prefix only; the
 * onConnected hook runs once subscribed, and again after Redis was killed and restarted,
 * with the subscription back in place (a message after the restart still arrives).
 * Then fleet overrides (runtime/fleet/overrides) between in-process nodes with their own
 * clocks: conflicting changes made during an outage end the same on every node, the last
 * writer by (time, node name), and a node's next change is stamped after what it has seen.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock, systemRandom } from '../../../src/core/clock.js';
import type { ActionResult, ServerAction } from '../../../src/admin/actions.js';
import { Fleet } from '../../../src/runtime/fleet/index.js';
import { shareOverrides, type FleetOverrides } from '../../../src/runtime/fleet/overrides.js';
import { uniquePrefix } from '../../helpers/fleet.js';
import { waitAsync } from '../../helpers/group.js';
import { useHarness } from '../../helpers/harness.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 20_000;

const fleetConfig = (redis: TestRedis, node: string, prefix: string): ConstructorParameters<typeof Fleet>[0] =>
  ({ redis: { url: redis.url, username_env: undefined, password_env: undefined, tls: false }, node, prefix, timeout: 5, cookie_key_env: undefined });

function fleet(redis: TestRedis, node: string, prefix: string): Fleet {
  const local = { configVersion: () => 1, lastReload: () => 0, configError: () => undefined };
  const f = new Fleet(fleetConfig(redis, node, prefix), { clock: systemClock, random: systemRandom, env: {}, logger: pino({ level: 'silent' }), local });
  f.start();
  h.defer(() => f.stop());
  return f;
}

describe('fleet pub/sub', () => {
  it('delivers a message to every subscribed node of the same prefix, and resubscribes after Redis restarts', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const prefix = uniquePrefix('pubsub');
    const [a, b] = [fleet(redis, 'a', prefix), fleet(redis, 'b', prefix)];
    const other = fleet(redis, 'x', uniquePrefix('pubsub'));
    const got: Record<string, string[]> = { a: [], b: [], x: [] };
    const connected: Record<string, number> = { a: 0, b: 0 };
    a.subscribe('test', (m) => got['a']!.push(m));
    b.subscribe('test', (m) => got['b']!.push(m));
    other.subscribe('test', (m) => got['x']!.push(m));
    a.onConnected(() => (connected['a']! += 1));
    b.onConnected(() => (connected['b']! += 1));
    await waitAsync(async () => connected['a']! >= 1 && connected['b']! >= 1, WAIT, 'both nodes connected and subscribed');

    await a.publish('test', 'one');
    await waitAsync(async () => got['a']!.includes('one') && got['b']!.includes('one'), WAIT, 'message one on a and b');
    expect(got['x']).toEqual([]);

    await redis.restart();
    await waitAsync(async () => connected['a']! >= 2 && connected['b']! >= 2, WAIT, 'the hook again after the restart');
    await b.publish('test', 'two');
    await waitAsync(async () => got['a']!.includes('two') && got['b']!.includes('two'), WAIT, 'message two after the restart');
    expect(got['x']).toEqual([]);
  });
});

/** A node's overrides with a clock of its own; `applied`: what it received from the others. */
function overridesOn(redis: TestRedis, node: string, prefix: string, now: () => number): { shared: FleetOverrides; applied: string[]; synced: () => number } {
  const f = fleet(redis, node, prefix);
  const applied: string[] = [];
  const ok = (what: string): ActionResult => (applied.push(what), { ok: true, body: {} });
  const target = {
    server: (u: string, s: string, a: ServerAction) => ok(`${u}/${s} ${a}`),
    weight: (u: string, s: string, w: unknown) => ok(`${u}/${s} weight ${String(w)}`),
    resetWeight: (u: string, s: string) => ok(`${u}/${s} weight config`),
  };
  const shared = shareOverrides(f, fleetConfig(redis, node, prefix), target, { ...systemClock, now }, pino({ level: 'silent' }));
  let syncs = 0;
  f.onConnected(() => void shared.resync().then(() => (syncs += 1)));
  return { shared, applied, synced: () => syncs };
}

describe('fleet overrides: conflicts', () => {
  it('changes made on two nodes during an outage converge on the last writer; a later change supersedes it everywhere', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const prefix = uniquePrefix('overrides');
    // The same wall-clock time on both: the node name breaks the tie ("y" > "x").
    const x = overridesOn(redis, 'x', prefix, () => 5000);
    const y = overridesOn(redis, 'y', prefix, () => 5000);
    await waitAsync(async () => x.synced() >= 1 && y.synced() >= 1, WAIT, 'both nodes synced');
    await redis.stop();
    x.shared.local('app', 's1', { state: 'drain' });
    y.shared.local('app', 's1', { state: 'enable' });
    await redis.restart();
    await waitAsync(async () => x.applied.includes('app/s1 enable'), WAIT, "y's enable to win on x");
    expect(y.applied).toEqual([]);
    expect(x.shared.pending + y.shared.pending).toBe(0);

    // x has seen y's change at 5000: its own next one is stamped 5001 and wins on y.
    x.shared.local('app', 's1', { state: 'disable' });
    await waitAsync(async () => y.applied.includes('app/s1 disable'), WAIT, "x's disable on y");
    expect(x.applied).toEqual(['app/s1 enable']);
  });
});
