/**
 * @module test/unit/balancer/weighted.test
 * Smooth weighted round-robin: the shared contract plus nginx's exact sequences and how
 * per-server state survives changes of the server array.
 */
import { describe, expect, it } from 'vitest';
import { WeightedScheduler } from '../../../src/balancer/weighted.js';
import { makeServers, pickNames } from '../../helpers/servers.js';
import { runSchedulerConformance } from './scheduler.case.js';

runSchedulerConformance({ name: 'weighted', create: () => new WeightedScheduler(), honoursWeights: true });

// nginx's documented example: weights a=5, b=1, c=1 give a a b a c a a.
const NGINX_SEQUENCE = ['s1', 's1', 's2', 's1', 's3', 's1', 's1'];

describe('weighted (smooth weighted round-robin)', () => {
  it('produces the nginx sequence for weights 5,1,1, and repeats it', () => {
    const names = pickNames(new WeightedScheduler(), makeServers([5, 1, 1]), 14);
    expect(names).toEqual([...NGINX_SEQUENCE, ...NGINX_SEQUENCE]);
  });

  it('continues the sequence when the array identity changes but membership does not', () => {
    const scheduler = new WeightedScheduler();
    const servers = makeServers([5, 1, 1]);
    const first = pickNames(scheduler, servers, 3);
    const rest = pickNames(scheduler, [...servers], 4);
    expect([...first, ...rest]).toEqual(NGINX_SEQUENCE);
  });

  it('keeps the current values of servers that stay and drops those of servers that leave', () => {
    const scheduler = new WeightedScheduler();
    const [a, b, c] = makeServers([5, 1, 1]) as [never, never, never];
    expect(pickNames(scheduler, [a, b, c], 3)).toEqual(['s1', 's1', 's2']); // a=1, b=-4, c=3
    // Kept: a=1, b=-4. A fresh start would give s1 s1 s1 s2 s1 s1 instead.
    expect(pickNames(scheduler, [a, b], 6)).toEqual(['s1', 's1', 's1', 's1', 's1', 's2']);
    // Now a=1, b=-4. c comes back at 0; had it kept its old 3 it would win the 2nd pick.
    expect(pickNames(scheduler, [a, b, c], 7)).toEqual(['s1', 's1', 's3', 's1', 's1', 's1', 's2']);
  });

  it('uses the new weights when a weight changes', () => {
    const scheduler = new WeightedScheduler();
    const servers = makeServers([1, 1]);
    expect(pickNames(scheduler, servers, 4)).toEqual(['s1', 's2', 's1', 's2']);
    servers[0]!.weight = 3;
    const names = pickNames(scheduler, [...servers], 400);
    expect(names.filter((n) => n === 's1')).toHaveLength(300);
  });

  it('never picks a server of weight 0 while another has weight', () => {
    const names = pickNames(new WeightedScheduler(), makeServers([0, 2, 1]), 300);
    expect(names).not.toContain('s1');
  });
});
