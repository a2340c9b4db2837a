/**
 * @module resilience/timer
 * A restartable one-shot timer on an injected Clock: the per-server "un-eject at",
 * "half-open at" and "next ramp step" timers of outlier detection, the error-rate breaker
 * and slow start. `start` replaces a pending run, so a state can never hold two timers;
 * `pending` says whether one is armed. Caller guarantees: `fn` does not throw (it runs
 * from the clock's timer callback, where nobody would catch it).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export class Timer {
  readonly #clock: Clock;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get pending(): boolean {
    return this.#handle !== undefined;
  }

  /** Runs `fn` once after `ms`, cancelling any run still pending. */
  start(ms: number, fn: () => void): void {
    this.cancel();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      fn();
    }, ms);
  }

  /** Cancels a pending run, if any (idempotent). */
  cancel(): void {
    if (this.#handle === undefined) return;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
