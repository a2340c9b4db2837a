/**
 * @module test/unit/resilience/rate-limit-keys.test
 * An attacker chooses a header key's value, up to front.max_header_size: the buckets a
 * limiter keeps must not hold those values whole (100,000 keys of 16 KiB would be 1.6 GB).
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/resilience/rate-limit.js';
import { ManualClock } from '../../helpers/clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('RateLimiter keys', () => {
  it('keeps a bounded amount per key, however long the key', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1, key: { kind: 'header', name: 'x-key' } }, new ManualClock(0));
    const n = 2000;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      // A flat string of its own, as a parsed header value is (not a rope sharing a prefix).
      const key = Buffer.alloc(16 * 1024, 97 + (i % 26)).toString('latin1') + String(i);
      expect(limiter.take(key)).toBe(0);
      expect(limiter.take(key)).toBeGreaterThan(0);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(limiter.size).toBe(n);
    // 2000 keys whole would be over 32 MB; their digests are about 100 bytes each.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('keeps long keys apart', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1, key: { kind: 'header', name: 'x-key' } }, new ManualClock(0));
    const long = 'k'.repeat(1000);
    expect(limiter.take(`${long}a`)).toBe(0);
    expect(limiter.take(`${long}b`)).toBe(0);
    expect(limiter.take(`${long}a`)).toBeGreaterThan(0);
  });
});
