/**
 * @module test/unit/balancer/registry.test
 * The scheduler registry: one working factory per SchedulerName and a clear error for
 * anything else.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, schedulers, ServerSet } from '../../../src/balancer/index.js';
import { seededRandom } from '../../helpers/clock.js';
import { SCHEDULER_NAMES, type SchedulerName } from '../../../src/core/config.js';
import { makeServers } from '../../helpers/servers.js';

const opts = () => ({ random: seededRandom(1) });

describe('scheduler registry', () => {
  it('has exactly one factory per scheduler name', () => {
    expect([...schedulers.keys()].sort()).toEqual([...SCHEDULER_NAMES].sort());
  });

  it.each(SCHEDULER_NAMES)('creates a working %s scheduler', (name) => {
    const scheduler = createScheduler(name, opts());
    expect(scheduler.name).toBe(name);
    const servers = makeServers(3);
    for (let i = 0; i < 10; i++) expect(servers).toContain(scheduler.pick(servers, { clientIp: `10.0.0.${i}` }));
    expect(scheduler.pick([], {})).toBeUndefined();
  });

  it('creates independent instances', () => {
    const servers = makeServers(3);
    const a = createScheduler('round-robin', opts());
    a.pick(servers, {});
    expect(createScheduler('round-robin', opts()).pick(servers, {})).toBe(servers[0]);
  });

  it('passes the hash key to consistent-hash', () => {
    const servers = makeServers(4);
    const scheduler = createScheduler('consistent-hash', { ...opts(), hashKey: { kind: 'path' } });
    const first = scheduler.pick(servers, { path: '/a', clientIp: '10.0.0.1' });
    for (let i = 2; i < 50; i++) expect(scheduler.pick(servers, { path: '/a?i=1', clientIp: `10.0.0.${i}` })).toBe(first);
  });

  it('rejects an unknown name, naming it and the known ones', () => {
    expect(() => createScheduler('fastest' as SchedulerName, opts())).toThrow(
      /unknown scheduler "fastest"; known schedulers: round-robin, random, weighted, least-connections, p2c, consistent-hash/,
    );
  });

  it('re-exports ServerSet', () => {
    const set = new ServerSet(makeServers(2));
    expect(set.available).toHaveLength(2);
    set.close();
  });
});
