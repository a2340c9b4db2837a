/**
 * @module test/unit/balancer/p2c.test
 * Power of two choices: the shared contract plus what two distinct draws guarantee (the
 * most-loaded server loses) and how closely weights are honoured as load deepens.
 */
import { describe, expect, it } from 'vitest';
import { P2CScheduler } from '../../../src/balancer/p2c.js';
import { seededRandom } from '../../helpers/clock.js';
import { makeServers, pickNames, stubRandom } from '../../helpers/servers.js';
import { runSchedulerConformance, simulate } from './scheduler.case.js';

runSchedulerConformance({ name: 'p2c', create: (opts) => new P2CScheduler(opts), honoursWeights: true });

const seeded = (seed = 1) => new P2CScheduler({ random: seededRandom(seed) });

describe('p2c (power of two choices)', () => {
  it('returns the only server without drawing', () => {
    const stub = stubRandom(0.5);
    const servers = makeServers(1);
    expect(pickNames(new P2CScheduler({ random: stub.random }), servers, 5)).toEqual(Array(5).fill('s1'));
    expect(stub.calls).toBe(0);
  });

  it('with two servers always takes the less loaded', () => {
    const servers = makeServers(2);
    servers[0]!.activeRequests = 5;
    expect(new Set(pickNames(seeded(), servers, 1_000))).toEqual(new Set(['s2']));
  });

  it.each([3, 5, 10])('never picks the strictly most-loaded of %i servers while the others are idle', (n) => {
    const servers = makeServers(n);
    servers[n - 1]!.activeRequests = 10;
    const names = pickNames(seeded(n), servers, 5_000);
    expect(names).not.toContain(`s${n}`);
    // Every idle server is still used: the two draws spread the load.
    expect(new Set(names).size).toBe(n - 1);
  });

  it('draws two distinct servers and keeps the first drawn on a tie', () => {
    const servers = makeServers(3);
    // First draw index floor(r*3), second floor(r*2) skipping the first.
    expect(pickNames(new P2CScheduler({ random: stubRandom(0, 0).random }), servers, 1)).toEqual(['s1']); // s1 vs s2
    expect(pickNames(new P2CScheduler({ random: stubRandom(0.99, 0.99).random }), servers, 1)).toEqual(['s3']); // s3 vs s2
    expect(pickNames(new P2CScheduler({ random: stubRandom(0.5, 0).random }), servers, 1)).toEqual(['s2']); // s2 vs s1
  });

  it('prefers the second draw when it is less loaded', () => {
    const servers = makeServers(3);
    servers[0]!.activeRequests = 1;
    expect(pickNames(new P2CScheduler({ random: stubRandom(0, 0).random }), servers, 1)).toEqual(['s2']); // s1 vs s2
  });

  it('compares activeRequests per unit of weight', () => {
    const servers = makeServers([1, 4]);
    servers[0]!.activeRequests = 2; // load 2
    servers[1]!.activeRequests = 4; // load 1
    expect(new Set(pickNames(seeded(), servers, 100))).toEqual(new Set(['s2']));
  });

  it('honours weights more closely the more requests are in flight', () => {
    // Share of the weight-1 server of 1,2,5 relative to its fair 1/8: the excess shrinks.
    const excess = (concurrency: number): number => {
      const servers = makeServers([1, 2, 5]);
      const { counts } = simulate(seeded(), servers, 30_000, 0, concurrency);
      return (counts.get(servers[0]!)! / 30_000) * 8 - 1;
    };
    const [shallow, medium, deep] = [excess(16), excess(128), excess(1024)];
    expect(shallow).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(deep);
    expect(Math.abs(deep)).toBeLessThan(0.03);
  });
});
