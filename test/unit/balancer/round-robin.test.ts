/**
 * @module test/unit/balancer/round-robin.test
 * Round-robin: the shared contract plus its exact rotation order, which ignores weights.
 */
import { describe, expect, it } from 'vitest';
import { RoundRobinScheduler } from '../../../src/balancer/round-robin.js';
import { makeServers, pickNames } from '../../helpers/servers.js';
import { runSchedulerConformance } from './scheduler.case.js';

runSchedulerConformance({ name: 'round-robin', create: () => new RoundRobinScheduler(), honoursWeights: false });

describe('round-robin', () => {
  it('rotates in array order, ignoring weights', () => {
    const servers = makeServers([1, 5, 1]);
    expect(pickNames(new RoundRobinScheduler(), servers, 7)).toEqual(['s1', 's2', 's3', 's1', 's2', 's3', 's1']);
  });

  it('keeps a strict rotation after the list changes', () => {
    const scheduler = new RoundRobinScheduler();
    const servers = makeServers(4);
    expect(pickNames(scheduler, servers, 3)).toEqual(['s1', 's2', 's3']);
    const fewer = [servers[0]!, servers[1]!, servers[3]!];
    const names = pickNames(scheduler, fewer, 9);
    for (let i = 0; i < names.length; i += 3) {
      expect(new Set(names.slice(i, i + 3))).toEqual(new Set(['s1', 's2', 's4']));
    }
  });
});
