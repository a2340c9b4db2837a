/**
 * @module test/unit/runtime/fleet/leader
 * The lease's own rules, without Redis: what a stored value may be, and that a holder that
 * cannot renew stops acting as leader once its lease could have run out, by its own clock.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderLease, LEASE_MS, parseLease } from '../../../../src/runtime/fleet/leader.js';
import type { RedisClient } from '../../../../src/runtime/fleet/link.js';
import { ManualClock } from '../../../helpers/clock.js';

describe('parseLease', () => {
  it('reads "TOKEN NODE" and refuses anything else', () => {
    expect(parseLease('7 lb-a')).toEqual({ token: 7, node: 'lb-a' });
    expect(parseLease(null)).toBeNull();
    for (const bad of ['', 'lb-a', '0 lb-a', '-1 lb-a', '7', '7 lb a', '07 lb-a', '99999999999999999 lb-a', 'taking']) expect(parseLease(bad), bad).toBeUndefined();
  });
});

/** A stand-in for the node-redis client: eval answers from a script, or fails like a lost link. */
function fakeClient(answers: Array<number | Error>): RedisClient {
  return {
    eval: () => {
      const a = answers.shift() ?? new Error('connection lost');
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    get: () => Promise.resolve('1 lb-a'),
  } as unknown as RedisClient;
}

describe('LeaderLease', () => {
  it('a holder whose renewals fail leads only until its lease, counted from the last renewal sent, runs out', async () => {
    const clock = new ManualClock(1_000_000);
    const lease = new LeaderLease('p:', 'lb-a', { client: () => fakeClient(answers), clock, logger: pino({ level: 'silent' }) });
    const answers: Array<number | Error> = [1, 1];
    await lease.tick(); // acquired, term 1
    expect(lease.current()).toEqual({ node: 'lb-a', token: 1 });
    clock.advance(1000);
    await lease.tick(); // renewed at +1000
    clock.advance(LEASE_MS - 1);
    await lease.tick(); // renewal fails: still ours, the lease has 1 ms left
    expect(lease.current()).toEqual({ node: 'lb-a', token: 1 });
    clock.advance(1);
    expect(lease.current()).toBeUndefined();
    await lease.tick();
    expect(lease.leader()).toBeNull();
  });

  it('a renewal answered 0 (the key holds another value) ends the term at once', async () => {
    const clock = new ManualClock(0);
    const answers: Array<number | Error> = [3, 0];
    const lease = new LeaderLease('p:', 'lb-a', { client: () => fakeClient(answers), clock, logger: pino({ level: 'silent' }) });
    await lease.tick();
    expect(lease.current()?.token).toBe(3);
    await lease.tick();
    expect(lease.current()).toBeUndefined();
    // And it then reports whoever the key names.
    expect(lease.leader()).toEqual({ node: 'lb-a', token: 1 });
  });
});
