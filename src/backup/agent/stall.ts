/**
 * @module backup/agent/stall
 * Whether the backup agent makes progress. Low CPU priority is right for backups, but it
 * must not turn into no backups at all: an agent that has not reported a snapshot within
 * 2 × `interval` + `timeout` (the run before may have just missed its slot, and a run may
 * take up to `timeout`) is marked stalled, and marked recovered at its next snapshot.
 * Listeners get both changes (the log subscribes; alerts will). The time counts from the
 * last snapshot or from the start of supervision, not from the last agent restart, so an
 * agent that crashes in a loop is marked stalled too.
 */

export interface StallChange {
  readonly stalled: boolean;
  /** Epoch ms of the last snapshot the agent reported; undefined: none since supervision began. */
  readonly lastSnapshotAt: number | undefined;
  /** How long without a snapshot makes a stall (2 × interval + timeout), ms. */
  readonly thresholdMs: number;
  /** Ms since the last snapshot (or the start of supervision). */
  readonly silentMs: number;
}

export type StallListener = (change: StallChange) => void;

/** 2 × interval + timeout: how long without a snapshot marks the agent stalled. */
export function stallThreshold(b: { readonly interval: number; readonly timeout: number }): number {
  return 2 * b.interval + b.timeout;
}

export class StallWatch {
  readonly #now: () => number;
  readonly #listeners: StallListener[] = [];
  #thresholdMs: number;
  #since: number;
  #lastSnapshotAt: number | undefined;
  #stalledSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(thresholdMs: number, now: () => number = Date.now) {
    this.#now = now;
    this.#thresholdMs = thresholdMs;
    this.#since = now();
  }

  onChange(listener: StallListener): void {
    this.#listeners.push(listener);
  }

  get stalledSince(): number | undefined {
    return this.#stalledSince;
  }

  get lastSnapshotAt(): number | undefined {
    return this.#lastSnapshotAt;
  }

  get thresholdMs(): number {
    return this.#thresholdMs;
  }

  /** (Re)arms the check for the current threshold. */
  start(): void {
    clearTimeout(this.#timer);
    if (this.#stalledSince !== undefined) return;
    const due = this.#since + this.#thresholdMs - this.#now();
    this.#timer = setTimeout(() => this.#check(), Math.max(0, due));
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** New settings (a reload): the new threshold applies from the same last snapshot. */
  setThreshold(ms: number): void {
    this.#thresholdMs = ms;
    if (this.#timer !== undefined) this.start();
  }

  /** The agent reported a snapshot. */
  snapshot(): void {
    const now = this.#now();
    this.#since = now;
    this.#lastSnapshotAt = now;
    const wasStalled = this.#stalledSince !== undefined;
    this.#stalledSince = undefined;
    if (wasStalled) this.#emit(false);
    if (this.#timer !== undefined || wasStalled) this.start();
  }

  #check(): void {
    this.#timer = undefined;
    const silent = this.#now() - this.#since;
    // Timers may fire early by a millisecond; never report a stall before it is due.
    if (silent < this.#thresholdMs) return this.start();
    this.#stalledSince = this.#now();
    this.#emit(true);
  }

  #emit(stalled: boolean): void {
    const change = { stalled, lastSnapshotAt: this.#lastSnapshotAt, thresholdMs: this.#thresholdMs, silentMs: this.#now() - this.#since };
    for (const l of this.#listeners) l(change);
  }
}
