/**
 * @module test/integration/fleet/snapshot-untrusted
 * What the leader's snapshot reads from Redis is untrusted (runtime/fleet/snapshot scanPins),
 * on a real redis-server: a key under `PREFIX sticky:` that is not a string (a hash, a list,
 * written there by anything with access to Redis) is counted as skipped, and the good pins
 * around it are still taken. It failed the whole snapshot (the MULTI's WRONGTYPE reply), so
 * one such key stopped every fleet backup for good.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../../src/runtime/fleet/link.js';
import { scanPins } from '../../../src/runtime/fleet/snapshot.js';
import { uniquePrefix } from '../../helpers/fleet.js';
import { useHarness } from '../../helpers/harness.js';
import { startRedis } from '../../helpers/redis.js';

const h = useHarness();

describe('the fleet snapshot reads untrusted pins', () => {
  it('skips keys under the prefix that hold no string, and keeps the pins around them', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const client = createClient({ url: redis.url });
    await client.connect();
    h.defer(() => client.close());
    const prefix = uniquePrefix('snapshot');
    const px = { expiration: { type: 'PX' as const, value: 3_600_000 } };
    await client.set(`${prefix}sticky:web:user-1`, 's1', px);
    await client.set(`${prefix}sticky:web:user-2`, 's2', px);
    await client.hSet(`${prefix}sticky:web:a-hash`, 'server', 's1');
    await client.rPush(`${prefix}sticky:web:a-list`, 's1');
    await client.set(`${prefix}sticky:web:no-ttl`, 's1');

    const now = Date.now();
    const scan = await scanPins(client as unknown as RedisClient, prefix, now);
    expect(scan.sessions.map((e) => [e.upstream, e.key, e.server]).sort()).toEqual([
      ['web', 'user-1', 's1'],
      ['web', 'user-2', 's2'],
    ]);
    expect(scan.skipped).toBe(3);
  });
});
