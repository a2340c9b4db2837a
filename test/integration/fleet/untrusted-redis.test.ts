/**
 * @module test/integration/fleet/untrusted-redis
 * What a node reads from Redis is untrusted, on a real redis-server: anything with access to
 * Redis may leave a key of the wrong type where a node expects a string or a hash.
 * - The leader's snapshot (runtime/fleet/snapshot scanPins): a key under `PREFIX sticky:` that
 *   is no string is counted as skipped and the pins around it are taken. Its WRONGTYPE reply
 *   failed the whole MULTI, so one such key stopped every fleet backup for good.
 * - The membership (runtime/fleet/index heartbeat): a member of `PREFIX nodes` whose
 *   `PREFIX node:NAME` is no hash is skipped and dropped from the set. Its WRONGTYPE reply
 *   failed every heartbeat's read, so the node's view of the fleet (/status) froze.
 * - The fleet config (runtime/fleet/config, config-load): a hash over the size limit, or one
 *   holding a node's own block (listen), is refused as a push would be; the node keeps serving.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../../src/runtime/fleet/link.js';
import { scanPins } from '../../../src/runtime/fleet/snapshot.js';
import { simpleConfig, startBulwark } from '../../helpers/bulwark.js';
import { uniquePrefix, waitFleetStatus } from '../../helpers/fleet.js';
import { useHarness } from '../../helpers/harness.js';
import { send, waitFor } from '../../helpers/net.js';
import { startRedis } from '../../helpers/redis.js';

const h = useHarness();
// A hang guard, not a timing assertion: heartbeats run every second.
const WAIT = 30_000;

/** A redis-server of the test's own, and a client to write into it as an outsider would. */
async function redisAndClient() {
  const redis = await startRedis();
  h.defer(() => redis.close());
  const client = createClient({ url: redis.url });
  await client.connect();
  h.defer(() => client.close());
  return { url: redis.url, client };
}

describe('a fleet node reads untrusted data from Redis', () => {
  it('snapshot: skips keys under the prefix that hold no string, and keeps the pins around them', async () => {
    const { client } = await redisAndClient();
    const prefix = uniquePrefix('snapshot');
    const px = { expiration: { type: 'PX' as const, value: 3_600_000 } };
    await client.set(`${prefix}sticky:web:user-1`, 's1', px);
    await client.set(`${prefix}sticky:web:user-2`, 's2', px);
    await client.hSet(`${prefix}sticky:web:a-hash`, 'server', 's1');
    await client.rPush(`${prefix}sticky:web:a-list`, 's1');
    await client.set(`${prefix}sticky:web:no-ttl`, 's1');

    const scan = await scanPins(client as unknown as RedisClient, prefix, Date.now());
    expect(scan.sessions.map((e) => [e.upstream, e.key, e.server]).sort()).toEqual([
      ['web', 'user-1', 's1'],
      ['web', 'user-2', 's2'],
    ]);
    expect(scan.skipped).toBe(3);
  });

  it('membership: skips a member whose key is no hash, and still lists the others', async () => {
    const { url, client } = await redisAndClient();
    const prefix = uniquePrefix('members');
    await client.sAdd(`${prefix}nodes`, ['evil', 'lb-z']);
    await client.set(`${prefix}node:evil`, 'not a hash');
    await client.hSet(`${prefix}node:lb-z`, { node: 'lb-z', config_version: '0', last_reload: '0', last_seen: String(Date.now()), config_error: '' });

    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await startBulwark(simpleConfig([origin.url], { top: `fleet: { redis: "${url}", node: lb-a, prefix: "${prefix}" }` }), { watch: false });
    h.defer(() => bw.stop());
    const f = await waitFleetStatus<{ nodes: Array<{ node: string }> }>(bw.adminUrl, (x) => x.nodes.some((n) => n.node === 'lb-z'), 'lb-z in the fleet view', WAIT);
    expect(f.nodes.map((n) => n.node)).toEqual(['lb-a', 'lb-z']);
    // The unreadable member is dropped from the set, as an expired one is.
    const deadline = Date.now() + WAIT;
    while ((await client.sIsMember(`${prefix}nodes`, 'evil')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await client.sMembers(`${prefix}nodes`)).sort()).toEqual(['lb-a', 'lb-z']);
  }, 120_000);

  it('config: a hash written straight into Redis that is too large, or holds a local block, is not run; the node keeps serving', async () => {
    const { url, client } = await redisAndClient();
    const prefix = uniquePrefix('config');
    const origin = await h.origin((_req, res) => res.end('local'));
    const bw = await startBulwark(simpleConfig([origin.url], { top: `fleet: { redis: "${url}", node: lb-a, prefix: "${prefix}" }` }), { watch: false });
    h.defer(() => bw.stop());
    type View = { nodes: Array<{ node: string; config_version: number; config_error: string | null }> };
    await waitFleetStatus<View>(bw.adminUrl, (f) => f.nodes.length === 1, 'the node to reach Redis', WAIT);
    const store = async (version: number, text: string): Promise<void> => {
      await client.hSet(`${prefix}config`, { version: String(version), text, node: 'outsider', at: '0' });
      await client.publish(`${prefix}config`, String(version));
    };

    await store(1, `# ${'x'.repeat(2 * 1024 * 1024)}\nroutes: []\n`);
    await waitFor(() => bw.logs.some((l) => l['event'] === 'fleet_config_malformed'), WAIT, 'the oversized config to be logged and skipped');
    await store(2, 'listen: 127.0.0.1:0\nupstreams:\n  web:\n    servers: [{ url: "http://127.0.0.1:1" }]\nroutes:\n  - upstream: web\n');
    const f = await waitFleetStatus<View>(bw.adminUrl, (x) => x.nodes[0]!.config_error !== null, 'the node to report the config it refused', WAIT);
    expect(f.nodes[0]!.config_error).toContain("listen: is a node's own");
    expect((await send(bw.url)).text).toBe('local');
  }, 120_000);
});
