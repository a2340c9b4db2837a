/**
 * @module test/unit/balancer/random.test
 * Random: the shared contract plus the mapping of the injected random onto the array.
 */
import { describe, expect, it } from 'vitest';
import { RandomScheduler } from '../../../src/balancer/random.js';
import { seededRandom } from '../../helpers/clock.js';
import { makeServers, pickNames, stubRandom } from '../../helpers/servers.js';
import { runSchedulerConformance } from './scheduler.case.js';

runSchedulerConformance({ name: 'random', create: (opts) => new RandomScheduler(opts), honoursWeights: false });

describe('random', () => {
  it('maps the injected random uniformly onto the array', () => {
    const stub = stubRandom(0, 0.25, 0.5, 0.999);
    const names = pickNames(new RandomScheduler({ random: stub.random }), makeServers(4), 4);
    expect(names).toEqual(['s1', 's2', 's3', 's4']);
    expect(stub.calls).toBe(4);
  });

  it('is reproducible with the same seed', () => {
    const servers = makeServers(5);
    const a = pickNames(new RandomScheduler({ random: seededRandom(42) }), servers, 50);
    const b = pickNames(new RandomScheduler({ random: seededRandom(42) }), servers, 50);
    expect(a).toEqual(b);
  });
});
