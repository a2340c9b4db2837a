/**
 * @module test/unit/proxy/upstream-reload.test
 * An upstream runtime built on a reload follows the plan (core/reload-plan): kept and
 * updated servers keep their Server object, and their pool unless the pool settings
 * changed; a server whose URL changed is new; the scheduler and the sticky table are kept
 * exactly when their settings are; retiring closes only the pools the successor dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { systemClock, systemRandom } from '../../../src/core/clock.js';
import { UpstreamRuntime, type PoolFactory } from '../../../src/proxy/upstream.js';
import { upstreamWith, web } from '../config/fixtures.js';
import { ManualClock } from '../../helpers/clock.js';

const O1 = { name: 'o1', url: 'http://127.0.0.1:3001' };
const O2 = { name: 'o2', url: 'http://127.0.0.1:3002' };
const BASE = { servers: [O1, O2], sticky: { mode: 'ip' } };

const built: UpstreamRuntime[] = [];
/** Every pool made (no connection is opened: nothing is requested). */
const pools: Pool[] = [];
const poolFactory: PoolFactory = (origin, opts) => {
  const p = new Pool(origin, opts);
  pools.push(p);
  return p;
};

function runtime(over: Record<string, unknown>, previous?: UpstreamRuntime): UpstreamRuntime {
  const u = new UpstreamRuntime(web(upstreamWith({ ...BASE, ...over })), { random: systemRandom, clock: systemClock, poolFactory }, previous);
  built.push(u);
  return u;
}
const server = (u: UpstreamRuntime, name: string) => u.servers.find(name)!;

afterEach(async () => {
  await Promise.all(built.splice(0).map((u) => u.close()));
  pools.length = 0;
});

describe('upstream runtime across a reload', () => {
  it('keeps servers, pools, scheduler and table when only a weight changed, updating the server in place', () => {
    const a = runtime({});
    const b = runtime({ servers: [{ ...O1, weight: 3 }, O2] }, a);
    expect(server(b, 'o1')).toBe(server(a, 'o1'));
    expect(server(b, 'o1')).toMatchObject({ weight: 3, configuredWeight: 3 });
    expect(b.pool(server(b, 'o1'))).toBe(a.pool(server(a, 'o1')));
    expect(b.scheduler).toBe(a.scheduler);
    expect(b.affinity!.table).toBe(a.affinity!.table);
    expect(pools).toHaveLength(2);
  });

  it('gives kept servers new pools when a pool setting changed, and keeps the rest', () => {
    const a = runtime({});
    const b = runtime({ keep_alive: '10s' }, a);
    expect(server(b, 'o2')).toBe(server(a, 'o2'));
    expect(b.pool(server(b, 'o2'))).not.toBe(a.pool(server(a, 'o2')));
    expect(b.scheduler).toBe(a.scheduler);
    expect(b.affinity!.table).toBe(a.affinity!.table);
  });

  it('builds a new server for a new URL; a new scheduler and table for new settings', () => {
    const a = runtime({});
    const b = runtime({ servers: [O1, { ...O2, url: 'http://127.0.0.1:3009' }], scheduler: 'least-connections', sticky: { mode: 'ip', ttl: '1m' } }, a);
    expect(server(b, 'o1')).toBe(server(a, 'o1'));
    expect(server(b, 'o2')).not.toBe(server(a, 'o2'));
    expect(server(b, 'o2').origin).toBe('http://127.0.0.1:3009');
    expect(b.scheduler).not.toBe(a.scheduler);
    expect(b.affinity!.table).not.toBe(a.affinity!.table);
  });

  it('retiring closes only the pools its successor does not use', async () => {
    const a = runtime({});
    const b = runtime({ servers: [O1] }, a);
    expect(await a.retire(b)).toEqual([server(a, 'o2')]);
    expect(b.pool(server(b, 'o1')).closed).toBe(false);
    expect(a.pool(server(a, 'o2')).closed).toBe(true);
    built.splice(built.indexOf(a), 1); // retired: what it had left is b's
  });
});

describe('the sticky table runs on the proxy\'s clock', () => {
  it('a pin expires when the injected clock passes its ttl, and is exported with that clock\'s expiry', () => {
    const clock = new ManualClock(1_000_000);
    const u = new UpstreamRuntime(web(upstreamWith({ ...BASE, sticky: { mode: 'ip', ttl: '10s' } })), { random: systemRandom, clock, poolFactory });
    built.push(u);
    const table = u.affinity!.table;
    table.set('10.0.0.1', 'o1');
    expect(table.expiresAt('10.0.0.1')).toBe(1_010_000);
    clock.advance(9_999);
    expect(table.get('10.0.0.1')).toBe('o1'); // a read restarts the ttl (HAProxy's stick-table expire)
    clock.advance(10_001);
    expect(table.get('10.0.0.1')).toBeUndefined();
  });
});
