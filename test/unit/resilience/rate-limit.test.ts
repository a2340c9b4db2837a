/**
 * @module test/unit/resilience/rate-limit.test
 * The token bucket per key: a burst admitted at once, refusals with the wait until the next
 * token, refill on the clock, keys apart, the bounded lru of buckets (an evicted key starts
 * full again), a clock stepped backwards, and Retry-After rounding.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, retryAfterSeconds } from '../../../src/resilience/rate-limit.js';
import { ManualClock } from '../../helpers/clock.js';

function limiter(rate: number, burst: number, maxKeys?: number) {
  const clock = new ManualClock(1_000_000);
  return { clock, rl: new RateLimiter({ rate, burst, key: { kind: 'ip' } }, clock, maxKeys) };
}

describe('RateLimiter', () => {
  it('admits a full burst at once, then refuses with the wait until the next token', () => {
    const { rl } = limiter(10, 3);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBe(100); // 10/s: one token per 100 ms
    expect(rl.take('a')).toBe(100); // a refusal takes nothing
  });

  it('refills at the rate, never above the burst', () => {
    const { clock, rl } = limiter(10, 2);
    rl.take('a');
    rl.take('a');
    clock.advance(40);
    expect(rl.take('a')).toBe(60);
    clock.advance(60);
    expect(rl.take('a')).toBe(0);
    clock.advance(60_000); // a long idle spell fills the bucket to burst, not beyond
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 100]);
  });

  it('keeps one bucket per key', () => {
    const { rl } = limiter(1, 1);
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(1000);
    expect(rl.take('b')).toBe(0);
    expect(rl.size).toBe(2);
  });

  it('handles slow rates (per minute) with waits longer than a second', () => {
    const { clock, rl } = limiter(1 / 60, 1);
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(60_000);
    clock.advance(59_999);
    expect(rl.take('a')).toBe(1);
    clock.advance(1);
    expect(rl.take('a')).toBe(0);
  });

  it('bounds its buckets: the least recently seen key is dropped and starts full again', () => {
    const { rl } = limiter(1, 1, 2);
    rl.take('a');
    rl.take('b');
    expect(rl.take('a')).toBeGreaterThan(0); // a is now the most recent
    rl.take('c'); // evicts b
    expect(rl.size).toBe(2);
    expect(rl.take('b')).toBe(0); // full again: lenient, never stricter
    expect(rl.take('c')).toBeGreaterThan(0);
  });

  it('adds nothing when the clock steps backwards', () => {
    const { clock, rl } = limiter(10, 1);
    rl.take('a');
    clock.advance(-5_000);
    expect(rl.take('a')).toBe(100);
    clock.advance(100);
    expect(rl.take('a')).toBe(0);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect([1, 999, 1000, 1001, 60_000].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 60]);
  });
});
