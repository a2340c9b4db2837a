/**
 * @module resilience/rolling-window
 * Request and failure counts over the last `windowMs`, Hystrix's rolling counter: the
 * window is cut into buckets of windowMs / buckets by the clock's time, and a bucket is
 * wiped when time moves past it, so `record` is O(1) (at most `buckets` wipes after a long
 * quiet spell) and allocates nothing. The counts cover between windowMs - one bucket and
 * windowMs of history. Time going backwards counts into the newest bucket.
 */

export class RollingWindow {
  readonly #bucketMs: number;
  readonly #requests: Uint32Array;
  readonly #failures: Uint32Array;
  /** The bucket number (time / bucketMs) of the newest bucket. */
  #epoch = 0;
  #totalRequests = 0;
  #totalFailures = 0;

  constructor(windowMs: number, buckets = 10) {
    this.#bucketMs = Math.max(1, windowMs / buckets);
    this.#requests = new Uint32Array(buckets);
    this.#failures = new Uint32Array(buckets);
  }

  get requests(): number {
    return this.#totalRequests;
  }

  get failures(): number {
    return this.#totalFailures;
  }

  /** Counts one request at epoch-ms `now`. */
  record(now: number, failed: boolean): void {
    this.#advance(now);
    const i = this.#epoch % this.#requests.length;
    this.#requests[i]!++;
    this.#totalRequests++;
    if (!failed) return;
    this.#failures[i]!++;
    this.#totalFailures++;
  }

  reset(): void {
    this.#requests.fill(0);
    this.#failures.fill(0);
    this.#totalRequests = 0;
    this.#totalFailures = 0;
  }

  #advance(now: number): void {
    const epoch = Math.floor(now / this.#bucketMs);
    if (epoch <= this.#epoch) return;
    const n = this.#requests.length;
    for (let e = Math.max(this.#epoch + 1, epoch - n + 1); e <= epoch; e++) {
      const i = e % n;
      this.#totalRequests -= this.#requests[i]!;
      this.#totalFailures -= this.#failures[i]!;
      this.#requests[i] = 0;
      this.#failures[i] = 0;
    }
    this.#epoch = epoch;
  }
}
