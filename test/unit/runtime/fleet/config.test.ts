/**
 * @module test/unit/runtime/fleet/config
 * The fleet config's storage on a real redis-server: versions only grow, a push is
 * published, a follower reads each newer version once, and a malformed hash (untrusted
 * input) is logged once and skipped, never a crash.
 */
import pino from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configChannel, entryOf, FleetConfigSync, type FleetConfigEntry } from '../../../../src/runtime/fleet/config.js';
import { startRedis, type TestRedis } from '../../../helpers/redis.js';
import { uniquePrefix } from '../../../helpers/fleet.js';

let redis: TestRedis;
let client: ReturnType<typeof createClient>;
beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
});
afterAll(async () => {
  client.destroy();
  await redis.close();
});

function logged(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('entryOf', () => {
  it('reads a stored entry and says what is wrong with anything else', () => {
    expect(entryOf({ version: '3', text: 'a: 1\n', node: 'lb-a', at: '5' })).toEqual({ version: 3, text: 'a: 1\n', node: 'lb-a', at: 5 });
    expect(entryOf({ version: 'x', text: '' })).toMatch(/version "x" is not a positive integer/);
    expect(entryOf({ version: '0', text: '' })).toMatch(/not a positive integer/);
    expect(entryOf({ version: '2' })).toMatch(/no text/);
    expect(entryOf({ version: '2', text: 'x'.repeat(1024 * 1024 + 1) })).toMatch(/over 1048576 bytes/);
  });
});

describe('FleetConfigSync', () => {
  it('numbers pushes 1, 2, ..., publishes each, and a follower applies each newer one once', async () => {
    const prefix = uniquePrefix('config');
    const seen: FleetConfigEntry[] = [];
    const sub = client.duplicate();
    await sub.connect();
    const published: string[] = [];
    await sub.subscribe(configChannel(prefix), (m) => void published.push(m));
    const { logger } = logged();
    const pusher = new FleetConfigSync(prefix, () => client, logger, () => {});
    const follower = new FleetConfigSync(prefix, () => client, logger, (e) => void seen.push(e));
    await follower.check();
    expect(seen).toEqual([]);
    expect(await pusher.push('upstreams: {}\n', 'lb-a', 1000)).toBe(1);
    expect(await pusher.push('routes: []\n', 'lb-b', 2000)).toBe(2);
    await Promise.all([follower.check(), follower.check()]);
    await follower.check();
    expect(seen).toEqual([{ version: 2, text: 'routes: []\n', node: 'lb-b', at: 2000 }]);
    expect(follower.current?.version).toBe(2);
    await expect.poll(() => published, { timeout: 10_000 }).toEqual(['1', '2']);
    await sub.unsubscribe();
    sub.destroy();
  });

  it('skips a malformed hash, warning once, and takes the next good push', async () => {
    const prefix = uniquePrefix('config');
    const { logger, lines } = logged();
    const seen: number[] = [];
    const follower = new FleetConfigSync(prefix, () => client, logger, (e) => void seen.push(e.version));
    await client.hSet(configChannel(prefix), { version: '7', text: 'x'.repeat(1024 * 1024 + 1) });
    await follower.check();
    await follower.check();
    expect(seen).toEqual([]);
    expect(lines.filter((l) => l['event'] === 'fleet_config_malformed')).toHaveLength(1);
    await client.set(`${configChannel(prefix)}:version`, '7');
    await new FleetConfigSync(prefix, () => client, logger, () => {}).push('routes: []\n', 'lb-a', 0);
    await follower.check();
    expect(seen).toEqual([8]);
  });

  it('a Redis restarted empty gets the config back from the nodes, and the next push numbers on from it', async () => {
    const prefix = uniquePrefix('config');
    const { logger, lines } = logged();
    const seen: number[] = [];
    const node = new FleetConfigSync(prefix, () => client, logger, (e) => void seen.push(e.version));
    await node.push('routes: [a]\n', 'lb-a', 1);
    await node.push('routes: [b]\n', 'lb-a', 2);
    await node.check();
    expect(seen).toEqual([2]);
    // An empty Redis (a restart without persistence): the counter would start again at 1,
    // and every node, on version 2, would ignore versions 1 and 2 pushed after it.
    await client.del([configChannel(prefix), `${configChannel(prefix)}:version`]);
    await node.check();
    expect(await client.hGet(configChannel(prefix), 'version')).toBe('2');
    expect(lines.some((l) => l['event'] === 'fleet_config_restored')).toBe(true);
    const other = new FleetConfigSync(prefix, () => client, logger, () => {});
    expect(await other.push('routes: [c]\n', 'lb-b', 3)).toBe(3);
    await node.check();
    expect(seen).toEqual([2, 3]);
    // A pushing node that knows a later version than the counter numbers past it.
    await client.del([configChannel(prefix), `${configChannel(prefix)}:version`]);
    expect(await node.push('routes: [d]\n', 'lb-a', 4)).toBe(4);
  });

  it('while Redis is unreachable: a push rejects and a check does nothing', async () => {
    const sync = new FleetConfigSync(uniquePrefix('config'), () => undefined, logged().logger, () => expect.fail('no entry'));
    await expect(sync.push('a: 1\n', 'lb-a', 0)).rejects.toThrow(/Redis is unreachable/);
    await sync.check();
  });
});
