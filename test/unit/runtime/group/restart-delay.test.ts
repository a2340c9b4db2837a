/**
 * @module test/unit/runtime/group/restart-delay
 * A crashed worker's restart back-off: 100 ms, doubling to 10 s while it keeps crashing
 * soon after starting, and back to 100 ms once a worker has run 30 s.
 */
import { describe, expect, it } from 'vitest';
import { RESTART_BACKOFF, restartDelay } from '../../../../src/runtime/group/workers.js';

describe('restartDelay', () => {
  it('doubles from 100 ms to at most 10 s while the worker keeps crashing at once', () => {
    const delays: number[] = [];
    let backoff: number = RESTART_BACKOFF.first;
    for (let i = 0; i < 10; i++) {
      const { delay, next } = restartDelay(backoff, 50);
      delays.push(delay);
      backoff = next;
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  it('starts again from 100 ms after a worker that ran 30 s', () => {
    expect(restartDelay(10_000, 29_999)).toEqual({ delay: 10_000, next: 10_000 });
    expect(restartDelay(10_000, 30_000)).toEqual({ delay: 100, next: 200 });
  });
});
