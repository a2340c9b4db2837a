import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../helpers/clock.js';
import type { RetryConfig } from '../../../src/core/config.js';
import type { AttemptOutcome } from '../../../src/core/outcome.js';
import { RetryPolicy, retryCondition } from '../../../src/resilience/retry-policy.js';

const config: RetryConfig = { attempts: 2, on: ['connect-failure', 'reset', '502', '503', '504'], budget: 0.2, per_try_timeout: 5000, buffer_body: 65536 };
const refused: AttemptOutcome = { result: 'connect_failure', status: 0, code: 'ECONNREFUSED' };
const reset: AttemptOutcome = { result: 'reset', status: 0, code: 'ECONNRESET' };
const timeout: AttemptOutcome = { result: 'timeout', status: 0, code: 'UND_ERR_HEADERS_TIMEOUT' };
const s503: AttemptOutcome = { result: 'response', status: 503, code: '' };
const s500: AttemptOutcome = { result: 'response', status: 500, code: '' };

describe('retryCondition', () => {
  it('maps outcomes to retry-on conditions', () => {
    expect(retryCondition(refused)).toBe('connect-failure');
    expect(retryCondition(reset)).toBe('reset');
    expect(retryCondition({ result: 'bad_response', status: 0, code: 'HPE_INVALID_CONSTANT' })).toBe('reset');
    expect(retryCondition(timeout)).toBe('timeout');
    expect(retryCondition(s503)).toBe('503');
    expect(retryCondition(s500)).toBeUndefined();
    expect(retryCondition({ result: 'cancelled', status: 0, code: '' })).toBeUndefined();
  });
});

describe('RetryPolicy', () => {
  it('retries only listed conditions, up to `attempts` retries', () => {
    const p = new RetryPolicy(config, new ManualClock(0));
    expect(p.allows(refused, 'GET', 1, true)).toBe(true);
    expect(p.allows(s503, 'GET', 2, true)).toBe(true);
    expect(p.allows(s503, 'GET', 3, true)).toBe(false); // 2 retries made already
    expect(p.allows(s500, 'GET', 1, true)).toBe(false);
  });

  it('a timeout matches `timeout`, or `504` (the gateway timed out), and nothing else', () => {
    expect(new RetryPolicy(config, new ManualClock(0)).allows(timeout, 'GET', 1, true)).toBe(true);
    expect(new RetryPolicy({ ...config, on: ['timeout'] }, new ManualClock(0)).allows(timeout, 'GET', 1, true)).toBe(true);
    expect(new RetryPolicy({ ...config, on: ['503', 'reset'] }, new ManualClock(0)).allows(timeout, 'GET', 1, true)).toBe(false);
  });

  it('never retries a body that cannot be replayed', () => {
    const p = new RetryPolicy(config, new ManualClock(0));
    expect(p.allows(refused, 'GET', 1, false)).toBe(false);
  });

  it('retries non-idempotent methods only after a connect failure (no byte reached a server)', () => {
    const p = new RetryPolicy(config, new ManualClock(0));
    expect(p.allows(refused, 'POST', 1, true)).toBe(true);
    expect(p.allows(reset, 'POST', 1, true)).toBe(false);
    expect(p.allows(s503, 'PATCH', 1, true)).toBe(false);
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) expect(p.allows(reset, m, 1, true)).toBe(true);
  });

  it('holds retries to budget × recent requests plus a reserve of 3/s over 10 s', () => {
    const clock = new ManualClock(1_000_000);
    const p = new RetryPolicy(config, clock);
    for (let i = 0; i < 1000; i++) p.requestStarted();
    // 20% of 1000 + 30 reserve = 230 retries in the window.
    let allowed = 0;
    for (let i = 0; i < 500; i++) if (p.allows(reset, 'GET', 1, true)) allowed++;
    expect(allowed).toBe(230);
    expect(p.budgetExhausted).toBe(270);
    // The window moves on: after 10 s the old requests and retries no longer count.
    clock.advance(11_000);
    p.requestStarted();
    expect(p.allows(reset, 'GET', 1, true)).toBe(true);
  });

  it('a quiet upstream can still retry (the reserve)', () => {
    const p = new RetryPolicy(config, new ManualClock(0));
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (p.allows(reset, 'GET', 1, true)) allowed++;
    expect(allowed).toBe(30);
  });

  it('holds back only the statuses listed in `on`', () => {
    const p = new RetryPolicy({ ...config, on: ['503'] }, new ManualClock(0));
    expect(p.retriesStatus(503)).toBe(true);
    expect(p.retriesStatus(502)).toBe(false);
    expect(p.retriesStatus(500)).toBe(false);
  });
});
