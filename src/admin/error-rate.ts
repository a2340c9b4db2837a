/**
 * @module admin/error-rate
 * The error rate `bulwark check --max-error-rate` judges: the share of an upstream's
 * attempts that failed (each server's `requests` and `errors` counters in /status: a 5xx
 * answer or no answer; a retried request counts each attempt) between two /status reads
 * `--interval` apart. A window and not the totals since start: a check is one poll, and a
 * burst of errors an hour ago must not keep it CRITICAL now (the current rate HAProxy's
 * stats page and Nagios users reason in). Pure, like admin/check.ts.
 */

/** A server's counters as /status lists them. */
export interface CountedServer {
  readonly name: string;
  readonly requests: number;
  readonly errors: number;
}

/** Errors and requests within the window, and errors as a percentage of requests (0 with none). */
export interface ErrorRate {
  readonly errors: number;
  readonly requests: number;
  readonly percent: number;
}

/** WARNING above `warn` percent, CRITICAL above `crit` (when given). */
export interface RateThresholds {
  readonly warn: number;
  readonly crit?: number;
}

/** True when every server of the list carries both counters (a bulwark before them has none). */
export function hasCounters(servers: readonly object[]): servers is CountedServer[] {
  return servers.every((s) => Number.isInteger((s as CountedServer).requests) && Number.isInteger((s as CountedServer).errors));
}

/**
 * The rate over the window from `before` to `after` (one upstream's servers in each read).
 * A server absent before (added by a reload) or whose counters went down (bulwark restarted,
 * or a reload rebuilt the server) counts from 0; one absent after is left out.
 */
export function errorRate(before: readonly CountedServer[], after: readonly CountedServer[]): ErrorRate {
  const prev = new Map(before.map((s) => [s.name, s]));
  let errors = 0;
  let requests = 0;
  for (const s of after) {
    const p = prev.get(s.name);
    const fresh = p === undefined || s.requests < p.requests || s.errors < p.errors;
    requests += fresh ? s.requests : s.requests - p.requests;
    errors += fresh ? s.errors : s.errors - p.errors;
  }
  return { errors, requests, percent: requests === 0 ? 0 : (100 * errors) / requests };
}

/** The check state a rate reaches: strictly above a threshold, as a Nagios range's upper end. */
export function rateLevel(r: ErrorRate, t: RateThresholds): 0 | 1 | 2 {
  if (t.crit !== undefined && r.percent > t.crit) return 2;
  return r.percent > t.warn ? 1 : 0;
}

/** A percentage for people and perfdata: at most two decimals, no trailing zeros. */
export function percentText(p: number): string {
  return String(Math.round(p * 100) / 100);
}
