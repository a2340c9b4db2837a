/**
 * @module test/integration/fleet/pubsub
 * The node's one subscriber connection (runtime/fleet/pubsub) on a real redis-server: a
 * message reaches every node subscribed to the channel, within the node's prefix only; the
 * onConnected hook runs once subscribed, and again after Redis was killed and restarted,
 * with the subscription back in place (a message after the restart still arrives).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock, systemRandom } from '../../../src/core/clock.js';
import { Fleet } from '../../../src/runtime/fleet/index.js';
import { uniquePrefix } from '../../helpers/fleet.js';
import { waitAsync } from '../../helpers/group.js';
import { useHarness } from '../../helpers/harness.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 20_000;

function fleet(redis: TestRedis, node: string, prefix: string): Fleet {
  const local = { configVersion: () => 1, lastReload: () => 0 };
  const f = new Fleet(
    { redis: { url: redis.url, username_env: undefined, password_env: undefined, tls: false }, node, prefix, timeout: 5, cookie_key_env: undefined },
    { clock: systemClock, random: systemRandom, env: {}, logger: pino({ level: 'silent' }), local },
  );
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
