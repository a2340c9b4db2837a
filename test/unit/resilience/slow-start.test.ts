/**
 * @module test/unit/resilience/slow-start.test
 * Slow start: the linear ramp from the floor to configuredWeight with a refreshed server
 * set at every step, no ramp at startup, pausing and restarting on re-failure, stop().
 */
import { describe, expect, it } from 'vitest';
import { ServerSet } from '../../../src/balancer/server-set.js';
import { ManualClock } from '../../helpers/clock.js';
import type { Server } from '../../../src/core/server.js';
import { SlowStart } from '../../../src/resilience/slow-start.js';
import { makeServers } from '../../helpers/servers.js';

function setup(durationMs = 2000) {
  const clock = new ManualClock(1_000_000);
  const servers = makeServers([10, 10, 4]);
  const set = new ServerSet(servers);
  const slow = new SlowStart(set, durationMs, { clock });
  const s1 = servers[0]!;
  const fail = (flag: 'failed_health_check' | 'ejected' = 'failed_health_check') => s1.setFlag(flag, 'test', clock.now());
  const recover = (flag: 'failed_health_check' | 'ejected' = 'failed_health_check') => s1.clearFlag(flag, 'test', clock.now());
  return { clock, servers, set, slow, s1, fail, recover };
}

describe('SlowStart', () => {
  it('does not ramp servers that are available at startup', () => {
    const { clock, servers, slow } = setup();
    expect(servers.map((s) => [s.weight, slow.ramping(s)])).toEqual([
      [10, false],
      [10, false],
      [4, false],
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ramps a recovered server linearly from 5% to its configured weight, refreshing the set at each step', () => {
    const { clock, set, slow, s1, fail, recover } = setup();
    fail();
    recover();
    expect(s1.weight).toBeCloseTo(0.5);
    expect(slow.ramping(s1)).toBe(true);
    expect(set.available).toContain(s1);
    const weights = [s1.weight];
    for (let t = 100; t <= 2000; t += 100) {
      const before = set.available;
      clock.advance(100);
      expect(set.available).not.toBe(before);
      weights.push(s1.weight);
    }
    expect(weights).toHaveLength(21);
    const steps = weights.slice(1).map((w, i) => w - weights[i]!);
    for (const d of steps) expect(d).toBeCloseTo(9.5 / 20);
    expect(weights.at(10)).toBeCloseTo(10 * (0.05 + 0.95 * 0.5));
    expect(s1.weight).toBe(10);
    expect(slow.ramping(s1)).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits for the last flag to clear', () => {
    const { slow, s1, fail, recover } = setup();
    fail('failed_health_check');
    fail('ejected');
    recover('ejected');
    expect(slow.ramping(s1)).toBe(false);
    expect(s1.weight).toBe(10);
    recover('failed_health_check');
    expect(slow.ramping(s1)).toBe(true);
  });

  it('pauses when the server fails mid-ramp and restarts from the floor when it recovers', () => {
    const { clock, slow, s1, fail, recover } = setup();
    fail();
    recover();
    clock.advance(1000);
    const reached = s1.weight;
    fail();
    expect(slow.ramping(s1)).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(s1.weight).toBe(reached);
    recover();
    expect(s1.weight).toBeCloseTo(0.5);
    clock.advance(2000);
    expect(s1.weight).toBe(10);
  });

  it('follows a configuredWeight change during the ramp', () => {
    const { clock, s1, fail, recover } = setup();
    fail();
    recover();
    s1.configuredWeight = 20;
    clock.advance(1000);
    expect(s1.weight).toBeCloseTo(20 * (0.05 + 0.95 * 0.5));
    clock.advance(1000);
    expect(s1.weight).toBe(20);
  });

  it('stop() cancels ramps, restores weights (refreshing the set) and stops listening', () => {
    const { clock, servers, set, slow, s1, fail, recover } = setup();
    const s2 = servers[1]!;
    fail();
    recover();
    clock.advance(500);
    s2.setFlag('ejected', 'test', clock.now());
    s2.clearFlag('ejected', 'test', clock.now());
    s2.setFlag('ejected', 'test', clock.now()); // paused, weight lowered
    const before = set.available;
    slow.stop();
    slow.stop();
    expect(set.available).not.toBe(before);
    expect([s1.weight, s2.weight]).toEqual([10, 10]);
    expect(clock.pendingTimers).toBe(0);
    fail();
    recover();
    expect(s1.weight).toBe(10);
    expect(slow.ramping(s1)).toBe(false);
  });

  it('does nothing with a duration of 0; a ramp shorter than one step gives full weight at once', () => {
    for (const duration of [0, 50]) {
      const { clock, slow, s1, fail, recover } = setup(duration);
      fail();
      recover();
      expect(s1.weight).toBe(10);
      expect(slow.ramping(s1)).toBe(false);
      expect(clock.pendingTimers).toBe(0);
    }
  });

  it('uses steps of durationMs / 20 for longer ramps', () => {
    const { clock, s1, fail, recover } = setup(60_000);
    fail();
    recover();
    expect(s1.weight).toBeCloseTo(0.5);
    clock.advance(2999);
    expect(s1.weight).toBeCloseTo(0.5);
    clock.advance(1);
    expect(s1.weight).toBeCloseTo(10 * (0.05 + 0.95 / 20));
  });
});

describe('SlowStart sync', () => {
  /** setup() with s1 a third of the way up its ramp and s3 ramping too, then a new set over s1, s2 and a new s4. */
  function reloaded() {
    const t = setup();
    const [, s2, s3] = t.servers as [Server, Server, Server];
    t.fail();
    t.recover();
    s3.setFlag('ejected', 'test', t.clock.now());
    s3.clearFlag('ejected', 'test', t.clock.now());
    t.clock.advance(600);
    const s4 = makeServers([8], 'v')[0]!;
    const next = new ServerSet([t.s1, s2, s4]);
    t.slow.sync(next);
    return { ...t, s2, s3, s4, next };
  }

  it('a kept server keeps ramping, and each step now refreshes the new set', () => {
    const { clock, set, slow, s1, next } = reloaded();
    expect(slow.ramping(s1)).toBe(true);
    expect(s1.weight).toBeCloseTo(10 * (0.05 + 0.95 * 0.3));
    const old = set.available;
    const before = next.available;
    clock.advance(100);
    expect(next.available).not.toBe(before);
    expect(set.available).toBe(old);
    expect(s1.weight).toBeCloseTo(10 * (0.05 + 0.95 * 0.35));
    clock.advance(1300);
    expect(s1.weight).toBe(10);
    expect(slow.ramping(s1)).toBe(false);
  });

  it('a new server is watched like one present at construction: no ramp until it comes back', () => {
    const { clock, slow, s4, next } = reloaded();
    expect([s4.weight, slow.ramping(s4)]).toEqual([8, false]);
    s4.setFlag('failed_health_check', 'test', clock.now());
    s4.clearFlag('failed_health_check', 'test', clock.now());
    expect(slow.ramping(s4)).toBe(true);
    expect(s4.weight).toBeCloseTo(0.4);
    expect(next.available).toContain(s4);
    const before = next.available;
    clock.advance(100);
    expect(next.available).not.toBe(before);
  });

  it('a removed server: ramp cancelled, weight restored, no longer listened to', () => {
    const { clock, slow, s3 } = reloaded();
    expect(s3.weight).toBe(4);
    expect(slow.ramping(s3)).toBe(false);
    expect(clock.pendingTimers).toBe(1); // s1's next step
    s3.setFlag('ejected', 'retired', clock.now());
    s3.clearFlag('ejected', 'retired', clock.now());
    expect([s3.weight, slow.ramping(s3), clock.pendingTimers]).toEqual([4, false, 1]);
  });

  it('is idempotent; stop() then restores kept ramps on the new set; a stopped one ignores sync', () => {
    const { clock, slow, s1, next } = reloaded();
    slow.sync(next);
    slow.sync(next);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(s1.weight).toBeCloseTo(10 * (0.05 + 0.95 * 0.35));
    const before = next.available;
    slow.stop();
    expect(next.available).not.toBe(before);
    expect(s1.weight).toBe(10);
    const later = new ServerSet(makeServers([5], 'w'));
    slow.sync(later);
    later.all[0]!.setFlag('ejected', 'test', clock.now());
    later.all[0]!.clearFlag('ejected', 'test', clock.now());
    expect(later.all[0]!.weight).toBe(5);
    expect(clock.pendingTimers).toBe(0);
  });
});
