/**
 * @module test/integration/fleet/hung-redis
 * A Redis that keeps its connection open but answers nothing (redis-server under SIGSTOP,
 * as a hung or partitioned host): the fleet's link must not hold commands or pile them up.
 * Every command settles within the command timeout, sent or not; past the queue cap a
 * command is refused at once; the link turns not ready with one fleet_redis_down and comes
 * back by itself (fleet_redis_up) when Redis answers again.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createLogging } from '../../../src/log/index.js';
import { RedisLink } from '../../../src/runtime/fleet/link.js';
import { useHarness } from '../../helpers/harness.js';
import { startRedis } from '../../helpers/redis.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 20_000;
const LIMITS = { commandTimeoutMs: 300, maxQueued: 50 };

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Settles within `ms` or reports 'pending': a command a hung Redis would hold forever. */
function settled(p: Promise<unknown>, ms: number): Promise<'ok' | 'rejected' | 'pending'> {
  return Promise.race([p.then(() => 'ok' as const, () => 'rejected' as const), new Promise<'pending'>((r) => setTimeout(r, ms, 'pending'))]);
}

describe('fleet link with a hung Redis', () => {
  it('rejects commands past the timeout, caps what is outstanding, logs one outage and recovers', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), cb()) });
    const link = new RedisLink({ url: redis.url, username_env: undefined, password_env: undefined, tls: false }, {}, Math.random, createLogging('info', sink).logger, systemClock, LIMITS);
    h.defer(() => link.stop());
    link.start();
    await until(() => link.ready, 'the link to connect');
    expect(await link.client.set('k', 'v')).toBe('OK');
    const events = (name: string): number => lines.filter((l) => l['event'] === name).length;

    redis.pause();
    h.defer(() => redis.resume());
    // Twice the cap: the first LIMITS.maxQueued are written and wait, the rest are refused at once.
    const started = Date.now();
    const commands = Array.from({ length: 2 * LIMITS.maxQueued }, (_, i) => link.client.get(`k${i}`));
    const outcomes = await Promise.all(commands.map((c) => settled(c, WAIT)));
    expect(outcomes.filter((o) => o === 'pending')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(WAIT);
    const refused = await Promise.all(commands.map((c) => c.then(() => '', (e: unknown) => String(e))));
    expect(refused.filter((e) => /queue/i.test(e)).length).toBeGreaterThanOrEqual(LIMITS.maxQueued);
    expect(refused.filter((e) => /timed out/i.test(e)).length).toBeGreaterThan(0);

    // The probe finds Redis silent: not ready, one warning however long it lasts.
    await until(() => !link.ready, 'the link to notice the hang');
    expect(events('fleet_redis_down')).toBe(1);
    await new Promise((r) => setTimeout(r, 3 * LIMITS.commandTimeoutMs + 1000));
    expect(events('fleet_redis_down')).toBe(1);
    expect(await settled(link.client.get('k'), WAIT)).toBe('rejected');

    redis.resume();
    await until(() => link.ready, 'the link to recover');
    expect(events('fleet_redis_up')).toBe(2); // the first connection, and the recovery
    expect(await link.client.get('k')).toBe('v');
  }, 60_000);
});
