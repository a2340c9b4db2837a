/**
 * @module resilience/retry-policy
 * When a failed attempt may be tried again (Envoy retry policy, HAProxy `retry-on`).
 * A retry is only safe when nothing reached the client yet (the caller guarantees that by
 * asking before it writes a response head), the request can be replayed, and either the
 * method is idempotent (RFC 9110 §9.2.2) or no byte of the request reached a server
 * (connect failure).
 *
 * The budget keeps retries from multiplying an outage (Finagle's RetryBudget): over a
 * rolling 10 s window, retries may be at most `budget` × the requests that came in, plus a
 * small reserve (MIN_RETRIES_PER_SEC) so a quiet upstream can still retry. A rate budget
 * rather than a cap on concurrent retries, because a server dying takes all its in-flight
 * requests with it at once: that burst must be retried (it is far below 20% of recent
 * traffic), while a total outage, where every request fails, still gets at most 20% more
 * attempts.
 */
import type { RetryCondition, RetryConfig } from '../core/config.js';
import type { Clock } from '../core/clock.js';
import type { AttemptOutcome } from '../core/outcome.js';
import { RollingWindow } from './rolling-window.js';

/** RFC 9110 §9.2.2 idempotent methods. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Retries always allowed per second, whatever the traffic. */
export const MIN_RETRIES_PER_SEC = 3;
/** The budget's window. */
export const BUDGET_WINDOW_MS = 10_000;

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
  readonly #clock: Clock;
  /** Requests ("successes") and retries ("failures") over the budget window. */
  readonly #window = new RollingWindow(BUDGET_WINDOW_MS);
  /** Retry attempts running now, across the upstream (for /status). */
  inFlight = 0;
  /** Retries refused because the budget was spent (for metrics and tests). */
  budgetExhausted = 0;
  /**
   * For metrics: retry attempts made, and the requests that made at least one retry by how
   * they ended: `succeeded` (a response below 500 reached the client) or `failed` (a 5xx or
   * no response at all). A request whose client went away counts in neither.
   */
  readonly retries = { retried: 0, succeeded: 0, failed: 0 };

  constructor(config: RetryConfig, clock: Clock) {
    this.#config = config;
    this.#on = new Set(config.on);
    this.#clock = clock;
  }

  /** Counts a new request (its first attempt) towards the budget. */
  requestStarted(): void {
    this.#window.record(this.#clock.now(), false);
  }

  /** Whether responses with this status should be held back (not forwarded) for a retry. */
  retriesStatus(status: number): boolean {
    return (status === 502 || status === 503 || status === 504) && this.#on.has(String(status) as RetryCondition);
  }

  /**
   * Decides, and when it says yes counts the retry against the budget.
   * @param attemptsMade attempts so far, including the failed one.
   * @param replayable the body is absent or buffered.
   */
  allows(o: AttemptOutcome, method: string, attemptsMade: number, replayable: boolean): boolean {
    if (attemptsMade > this.#config.attempts) return false;
    const cond = retryCondition(o);
    // A timeout (per_try_timeout included) is the gateway timing out: it matches 504 too,
    // as Envoy's per-try timeouts do.
    const listed = cond !== undefined && (this.#on.has(cond) || (cond === 'timeout' && this.#on.has('504')));
    if (!listed || !replayable) return false;
    if (!IDEMPOTENT.has(method) && o.result !== 'connect_failure') return false;
    const w = this.#window;
    const requests = w.requests - w.failures;
    const allowed = this.#config.budget * requests + (MIN_RETRIES_PER_SEC * BUDGET_WINDOW_MS) / 1000;
    if (w.failures >= allowed) {
      this.budgetExhausted++;
      return false;
    }
    w.record(this.#clock.now(), true);
    return true;
  }

  get perTryTimeout(): number {
    return this.#config.per_try_timeout;
  }

  get bufferLimit(): number {
    return this.#config.buffer_body;
  }
}
