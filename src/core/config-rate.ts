/**
 * @module core/config-rate
 * Config types of a route's `rate_limit` block (config/validate-rate.ts reads it,
 * resilience/rate-limit.ts enforces it), and of top-level `trusted_proxies`. Types only.
 */

/** Whose bucket a request takes from: the client address, or one request header's value. */
export type RateKey = { readonly kind: 'ip' } | { readonly kind: 'header'; /** Lower-case. */ readonly name: string };

/** A token bucket per key (nginx's limit_req, HAProxy's stick-table http_req_rate, as a bucket). */
export interface RateLimitConfig {
  /** Tokens added per second (a rate written per minute is divided by 60). */
  readonly rate: number;
  /** The bucket's size: how many requests a full bucket admits at once. */
  readonly burst: number;
  readonly key: RateKey;
}

/** Two rate limits that count the same way: a reload between them keeps the buckets. */
export function sameRateLimit(a: RateLimitConfig | undefined, b: RateLimitConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keyA = a.key.kind === 'header' ? `header:${a.key.name}` : a.key.kind;
  const keyB = b.key.kind === 'header' ? `header:${b.key.name}` : b.key.kind;
  return a.rate === b.rate && a.burst === b.burst && keyA === keyB;
}
