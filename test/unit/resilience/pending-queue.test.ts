import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../helpers/clock.js';
import { PendingQueue, type Waiter } from '../../../src/resilience/pending-queue.js';

function waiter(log: string[], name: string): Waiter {
  return { wake: () => log.push(`wake ${name}`), expire: () => log.push(`expire ${name}`) };
}

describe('PendingQueue', () => {
  it('is bounded: a full queue refuses and counts the overflow', () => {
    const q = new PendingQueue(2, 1000, new ManualClock());
    const log: string[] = [];
    expect(q.enqueue(waiter(log, 'a'))).toBe(true);
    expect(q.enqueue(waiter(log, 'b'))).toBe(true);
    expect(q.enqueue(waiter(log, 'c'))).toBe(false);
    expect(q.length).toBe(2);
    expect(q.overflowed).toBe(1);
  });

  it('wakes waiters first in, first out on release', () => {
    const clock = new ManualClock();
    const q = new PendingQueue(5, 1000, clock);
    const log: string[] = [];
    q.enqueue(waiter(log, 'a'));
    q.enqueue(waiter(log, 'b'));
    q.release();
    q.release();
    q.release();
    expect(log).toEqual(['wake a', 'wake b']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('expires a waiter after the timeout, and a removed waiter never fires', () => {
    const clock = new ManualClock();
    const q = new PendingQueue(5, 1000, clock);
    const log: string[] = [];
    const b = waiter(log, 'b');
    q.enqueue(waiter(log, 'a'));
    q.enqueue(b);
    q.remove(b);
    clock.advance(999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['expire a']);
    expect(q.timedOut).toBe(1);
    expect(q.length).toBe(0);
  });

  it('wakeWhile wakes the oldest waiters while there is room, and each one at most once', () => {
    const clock = new ManualClock();
    const q = new PendingQueue(5, 1000, clock);
    const log: string[] = [];
    let free = 2;
    const taking = (name: string): Waiter => ({ wake: () => (log.push(`wake ${name}`), free--), expire: () => log.push(`expire ${name}`) });
    for (const name of ['a', 'b', 'c']) q.enqueue(taking(name));
    q.wakeWhile(() => free > 0);
    expect(log).toEqual(['wake a', 'wake b']);
    expect(q.length).toBe(1);
    q.wakeWhile(() => false);
    expect(q.length).toBe(1);
    // A waiter that finds no slot after all re-queues: it is not woken again in the same pass.
    const requeue: Waiter = { wake: () => (log.push('wake d'), q.enqueue(requeue)), expire: () => {} };
    q.close();
    q.enqueue(requeue);
    q.wakeWhile(() => true);
    expect(log.filter((l) => l === 'wake d')).toEqual(['wake d']);
    expect(q.length).toBe(1);
  });

  it('max 0 queues nothing; close expires everyone', () => {
    const q0 = new PendingQueue(0, 1000, new ManualClock());
    expect(q0.enqueue(waiter([], 'a'))).toBe(false);
    const clock = new ManualClock();
    const q = new PendingQueue(3, 1000, clock);
    const log: string[] = [];
    q.enqueue(waiter(log, 'a'));
    q.enqueue(waiter(log, 'b'));
    q.close();
    expect(log).toEqual(['expire a', 'expire b']);
    expect(clock.pendingTimers).toBe(0);
  });
});
