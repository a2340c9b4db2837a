/**
 * @module proxy/retry
 * One request's retries, for an upstream with a `retries` block (resilience/retry-policy
 * decides; this applies it to the request's attempts). Made only when retries are on:
 * requests to other upstreams pay nothing for them.
 *
 * - Every attempt is counted (retries in flight, for /status) and runs under
 *   `per_try_timeout`, on a native timer: undici's own header timeout ticks every ~0.5 s,
 *   too coarse for sub-second per-try budgets.
 * - A retry never goes back to a server this request has tried, and is picked at random
 *   (see UpstreamRuntime.pick).
 * - A 502/503/504 that will be retried is held back (its body dropped, see Attempt) and
 *   retried once it ends; one that can't be retried is forwarded as the server sent it.
 */
import { ErrorCodes } from '../core/errors.js';
import { responseOutcome, type AttemptOutcome } from '../core/outcome.js';
import type { Server } from '../core/server.js';
import type { PickContext } from '../balancer/scheduler.js';
import type { RetryPolicy } from '../resilience/retry-policy.js';
import type { Attempt } from './attempt.js';
import type { UpstreamRuntime } from './upstream.js';

export class Retries {
  readonly #upstream: UpstreamRuntime;
  readonly #policy: RetryPolicy;
  /** Servers this request has tried, in order (one per attempt). */
  readonly tried: Server[] = [];

  constructor(upstream: UpstreamRuntime, policy: RetryPolicy) {
    this.#upstream = upstream;
    this.#policy = policy;
  }

  /**
   * An attempt is being dispatched: count it (a first attempt counts the request towards
   * the retry budget) and start its per-try timer.
   */
  started(a: Attempt): void {
    this.tried.push(a.server);
    if (a.isRetry) {
      this.#policy.inFlight++;
      this.#policy.retries.retried++;
      a.server.retries++;
    } else this.#policy.requestStarted();
    const ms = this.#policy.perTryTimeout;
    a.timer = setTimeout(onAttemptTimeout, ms, a, ms);
  }

  /** The attempt's outcome is being reported (exactly once per started attempt). */
  ended(a: Attempt): void {
    if (a.timer !== undefined) clearTimeout(a.timer);
    if (a.isRetry) this.#policy.inFlight--;
  }

  /** The request ended with `status` (0: none sent) and `error` (a BLWK_ code or ""): counts how a retried one ended. */
  finished(status: number, error: string): void {
    if (this.tried.length < 2 || error === ErrorCodes.CLIENT_ABORTED) return;
    if (status > 0 && status < 500) this.#policy.retries.succeeded++;
    else this.#policy.retries.failed++;
  }

  /**
   * A response head with `status` arrived for `a` (the live attempt, nothing sent to the
   * client yet): holds it back, to be retried on `a.retryTo` once it ends, when the policy
   * retries that status and allows another try. False: forward it as the server sent it.
   */
  hold(a: Attempt, status: number, method: string, replayable: boolean, ctx: PickContext): boolean {
    if (!this.#policy.retriesStatus(status)) return false;
    const next = this.target(responseOutcome(status), method, replayable, ctx);
    if (next === undefined) return false;
    a.heldStatus = status;
    a.retryTo = next;
    return true;
  }

  /**
   * The server a retry of a failed attempt goes to, when the policy allows a retry (it is
   * then counted against the budget) and another server qualifies.
   * @param replayable the request body is absent or buffered.
   */
  target(outcome: AttemptOutcome, method: string, replayable: boolean, ctx: PickContext): Server | undefined {
    if (!this.#policy.allows(outcome, method, this.tried.length, replayable)) return undefined;
    return this.#upstream.pick(ctx, this.tried);
  }

  /** Where a held-back response is retried: the server chosen then, unless it has gone out or filled up since. */
  afterHeld(a: Attempt, ctx: PickContext): Server | undefined {
    const chosen = a.retryTo!;
    const u = this.#upstream;
    return chosen.available && chosen.activeRequests < u.maxConcurrent ? chosen : u.pick(ctx, this.tried);
  }
}

/** per_try_timeout fired before the response head: abort the try (it is then retried or answered 504). */
function onAttemptTimeout(a: Attempt, ms: number): void {
  a.timedOut = Object.assign(new Error(`no response head within per_try_timeout (${ms}ms)`), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  a.abort?.(a.timedOut);
}
