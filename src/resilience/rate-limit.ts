/**
 * @module resilience/rate-limit
 * A token bucket per key (a route's `rate_limit`): each bucket holds up to `burst` tokens,
 * refills at `rate` tokens per second, and a request takes one token or is refused with
 * the time until the next one (the caller answers 429 with Retry-After). Buckets refill
 * lazily from the injected clock when they are read, so no timers run.
 *
 * Memory is bounded: buckets live in an lru-cache of at most `maxKeys` entries (lru-cache
 * reserves about 33 bytes per slot up front). When more keys are active than that, the
 * least recently seen key's bucket is dropped, and that key starts again from a full
 * bucket when it comes back. This errs on the lenient side (a client can get one extra
 * burst) but never the other way, and an attacker sending from many addresses cannot grow
 * memory. A key the caller cannot determine (a missing header) is not limited at all, as
 * nginx's limit_req does with an empty key: the caller skips take() then.
 *
 * Per process: with `workers: N` each worker keeps its own buckets, so a client spread
 * over the workers may get up to N × the rate (see README).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../core/clock.js';
import type { RateLimitConfig } from '../core/config-rate.js';

/** Buckets kept per limited route; about 3.3 MB reserved by lru-cache per limiter. */
export const MAX_RATE_KEYS = 100_000;

/**
 * Keys longer than this are kept as their SHA-256: a header key is the client's to choose,
 * up to front.max_header_size, and 100,000 kept keys of 16 KiB each would be 1.6 GB.
 */
const MAX_KEY_LENGTH = 64;

function bucketKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('base64')}`;
}

interface Bucket {
  tokens: number;
  /** Epoch ms when `tokens` was last brought up to date. */
  at: number;
}

export class RateLimiter {
  readonly config: RateLimitConfig;
  readonly #clock: Clock;
  readonly #buckets: LRUCache<string, Bucket>;
  /** Tokens per millisecond. */
  readonly #perMs: number;

  constructor(config: RateLimitConfig, clock: Clock, maxKeys = MAX_RATE_KEYS) {
    this.config = config;
    this.#clock = clock;
    this.#perMs = config.rate / 1000;
    this.#buckets = new LRUCache({ max: maxKeys });
  }

  /** Buckets held now (for tests and status). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token from `key`'s bucket. Returns 0 when the request is admitted, else the
   * milliseconds until a token is there (never 0: at least 1).
   */
  take(clientKey: string): number {
    const key = bucketKey(clientKey);
    const now = this.#clock.now();
    const burst = this.config.burst;
    const b = this.#buckets.get(key);
    if (b === undefined) {
      this.#buckets.set(key, { tokens: burst - 1, at: now });
      return 0;
    }
    // A wall clock stepped backwards adds nothing (rather than taking tokens away).
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(burst, b.tokens + elapsed * this.#perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perMs));
  }
}

/** Retry-After for a refusal `waitMs` from the next token: whole seconds, rounded up (RFC 9110 §10.2.3). */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
