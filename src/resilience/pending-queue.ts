/**
 * @module resilience/pending-queue
 * The bounded wait for a free server when every available server is at its concurrency
 * limit (Envoy's max_pending_requests). The queue is bounded in length and in time: a
 * request that can't be queued, or waits longer than the timeout, is refused at once by
 * the caller with a 503, so no queue is unbounded and nothing hangs. Waiters wake when a
 * slot frees (release) and when a server's availability changes (wakeWhile).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export interface Waiter {
  /** Called when a slot may be free: the waiter tries again (and may re-queue). */
  wake(): void;
  /** Called when the wait timed out or the queue was closed. */
  expire(): void;
}

interface Entry {
  readonly waiter: Waiter;
  readonly timer: TimerHandle;
}

export class PendingQueue {
  readonly #max: number;
  readonly #timeout: number;
  readonly #clock: Clock;
  readonly #entries: Entry[] = [];
  /** Requests refused because the queue was full (for metrics and tests). */
  overflowed = 0;
  timedOut = 0;

  constructor(max: number, timeoutMs: number, clock: Clock) {
    this.#max = max;
    this.#timeout = timeoutMs;
    this.#clock = clock;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Queues `waiter`; false (and nothing queued) when the queue is full. */
  enqueue(waiter: Waiter): boolean {
    if (this.#entries.length >= this.#max) {
      this.overflowed++;
      return false;
    }
    const entry: Entry = {
      waiter,
      timer: this.#clock.setTimeout(() => {
        const i = this.#entries.indexOf(entry);
        if (i === -1) return;
        this.#entries.splice(i, 1);
        this.timedOut++;
        waiter.expire();
      }, this.#timeout),
    };
    this.#entries.push(entry);
    return true;
  }

  /** Removes a waiter that no longer waits (its client went away). */
  remove(waiter: Waiter): void {
    const i = this.#entries.findIndex((e) => e.waiter === waiter);
    if (i === -1) return;
    this.#clock.clearTimeout(this.#entries[i]!.timer);
    this.#entries.splice(i, 1);
  }

  /** A slot was released: wakes the oldest waiter (FIFO). */
  release(): void {
    const e = this.#entries.shift();
    if (e === undefined) return;
    this.#clock.clearTimeout(e.timer);
    e.waiter.wake();
  }

  /**
   * Capacity appeared without an attempt ending (a server came back, or backups came in):
   * wakes the oldest waiters, one at a time, while `hasRoom()` says a pick would succeed.
   * The caller guarantees that a woken waiter takes its slot at once (synchronously) or
   * leaves, so this loop ends; without room a woken waiter would only re-queue at the back.
   */
  wakeWhile(hasRoom: () => boolean): void {
    for (let n = this.#entries.length; n > 0 && this.#entries.length > 0 && hasRoom(); n--) this.release();
  }

  /** Expires every waiter (shutdown). */
  close(): void {
    for (const e of this.#entries.splice(0)) {
      this.#clock.clearTimeout(e.timer);
      e.waiter.expire();
    }
  }
}
