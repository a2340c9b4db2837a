/**
 * @module resilience/retry-policy
 * When a failed attempt may be tried again (Envoy retry policy, HAProxy `retry-on`).
 * A retry is only safe when nothing reached the client yet (the caller guarantees that by
 * asking before it writes a response head), the request can be replayed, and either the
 * method is idempotent (RFC 9110 §9.2.2) or no byte of the request reached a server
 * (connect failure). The budget keeps retries from multiplying an outage: retries in
 * flight may be at most `budget` × active requests, with a floor of 3 so a quiet upstream
 * can still retry (Envoy's retry_budget with min_retry_concurrency).
 */
import type { RetryCondition, RetryConfig } from '../core/config.js';
import type { AttemptOutcome } from '../core/outcome.js';

/** RFC 9110 §9.2.2 idempotent methods. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export const MIN_RETRY_CONCURRENCY = 3;

/** The retry-on condition an outcome matches, if any. */
export function retryCondition(o: AttemptOutcome): RetryCondition | undefined {
  switch (o.result) {
    case 'connect_failure':
      return 'connect-failure';
    case 'reset':
    case 'bad_response':
      return 'reset';
    case 'timeout':
      return 'timeout';
    case 'response':
      return o.status === 502 ? '502' : o.status === 503 ? '503' : o.status === 504 ? '504' : undefined;
    default:
      return undefined;
  }
}

export class RetryPolicy {
  readonly #config: RetryConfig;
  readonly #on: ReadonlySet<RetryCondition>;
  /** Retry attempts running now, across the upstream. */
  inFlight = 0;
  /** Retries refused because the budget was spent (for metrics and tests). */
  budgetExhausted = 0;

  constructor(config: RetryConfig) {
    this.#config = config;
    this.#on = new Set(config.on);
  }

  /** Whether responses with this status should be held back (not forwarded) for a retry. */
  retriesStatus(status: number): boolean {
    return (status === 502 || status === 503 || status === 504) && this.#on.has(String(status) as RetryCondition);
  }

  /**
   * @param attemptsMade attempts so far, including the failed one.
   * @param replayable the body is absent or buffered.
   * @param activeRequests the upstream's in-flight requests (for the budget).
   */
  allows(o: AttemptOutcome, method: string, attemptsMade: number, replayable: boolean, activeRequests: number): boolean {
    if (attemptsMade > this.#config.attempts) return false;
    const cond = retryCondition(o);
    if (cond === undefined || !this.#on.has(cond) || !replayable) return false;
    if (!IDEMPOTENT.has(method) && o.result !== 'connect_failure') return false;
    const budget = Math.max(MIN_RETRY_CONCURRENCY, Math.floor(this.#config.budget * activeRequests));
    if (this.inFlight >= budget) {
      this.budgetExhausted++;
      return false;
    }
    return true;
  }

  get perTryTimeout(): number {
    return this.#config.per_try_timeout;
  }

  get bufferLimit(): number {
    return this.#config.buffer_body;
  }
}
