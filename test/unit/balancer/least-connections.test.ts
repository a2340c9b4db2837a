/**
 * @module test/unit/balancer/least-connections.test
 * Least-connections: the shared contract plus load avoidance, weight-awareness and the
 * random tie-break among equally loaded servers.
 */
import { describe, expect, it } from 'vitest';
import { LeastConnectionsScheduler } from '../../../src/balancer/least-connections.js';
import { seededRandom } from '../../helpers/clock.js';
import type { Server } from '../../../src/core/server.js';
import { makeServers, pickNames, stubRandom } from '../../helpers/servers.js';
import { expectShares, runSchedulerConformance } from './scheduler.case.js';

runSchedulerConformance({
  name: 'least-connections',
  create: (opts) => new LeastConnectionsScheduler(opts),
  honoursWeights: true,
});

const seeded = (seed = 1) => new LeastConnectionsScheduler({ random: seededRandom(seed) });

describe('least-connections', () => {
  it('sends new requests away from a server holding slow requests', () => {
    const servers = makeServers(3);
    servers[0]!.activeRequests = 10;
    const names = pickNames(seeded(), servers, 1_000);
    expect(names).not.toContain('s1');
    expect(names).toContain('s2');
    expect(names).toContain('s3');
  });

  it('compares activeRequests per unit of weight', () => {
    const servers = makeServers([1, 4, 2]);
    servers[0]!.activeRequests = 2; // load 2
    servers[1]!.activeRequests = 4; // load 1, although it has the most requests
    servers[2]!.activeRequests = 3; // load 1.5
    expect(new Set(pickNames(seeded(), servers, 100))).toEqual(new Set(['s2']));
  });

  it('breaks ties with the injected random, among the tied servers only', () => {
    const servers = makeServers(3);
    servers[1]!.activeRequests = 1; // s1 and s3 tie at 0
    expect(pickNames(new LeastConnectionsScheduler({ random: () => 0 }), servers, 1)).toEqual(['s1']);
    expect(pickNames(new LeastConnectionsScheduler({ random: () => 0.49 }), servers, 1)).toEqual(['s1']);
    expect(pickNames(new LeastConnectionsScheduler({ random: () => 0.5 }), servers, 1)).toEqual(['s3']);
    expect(pickNames(new LeastConnectionsScheduler({ random: () => 0.999 }), servers, 1)).toEqual(['s3']);
  });

  it('does not draw a random number when one server is strictly least loaded', () => {
    const servers = makeServers(3);
    servers[0]!.activeRequests = 1;
    servers[1]!.activeRequests = 1;
    const stub = stubRandom(0.5);
    expect(pickNames(new LeastConnectionsScheduler({ random: stub.random }), servers, 10)).toEqual(Array(10).fill('s3'));
    expect(stub.calls).toBe(0);
  });

  it('spreads idle-pool picks uniformly among tied servers', () => {
    const servers = makeServers(3);
    const scheduler = seeded(9);
    const counts = new Map<Server, number>(servers.map((s) => [s, 0]));
    for (let i = 0; i < 30_000; i++) {
      const s = scheduler.pick(servers, {})!;
      counts.set(s, counts.get(s)! + 1);
    }
    expectShares(counts, [1, 1, 1], 0.05);
  });
});
