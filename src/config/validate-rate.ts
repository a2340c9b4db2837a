/**
 * @module config/validate-rate
 * A route's `rate_limit: { rate, burst, key }` block (resilience/rate-limit.ts enforces it).
 * `rate` is required ("100/s", "6000/m"); `burst` defaults to one second's worth of the
 * rate, at least 1; `key` defaults to `ip`.
 */
import type { RateKey, RateLimitConfig } from '../core/config-rate.js';
import { didYouMean } from './suggest.js';
import { Invalid } from './validate-context.js';
import type { Block, Parse } from './validate-context.js';
import { fieldName, integer } from './validate-values.js';

const RATE_KEYS = ['rate', 'burst', 'key'] as const;
export const RATE_RULE = 'must be a rate like 100/s or 6000/m (requests per second or per minute)';
export const RATE_KEY_RULE = 'must be ip or header:NAME';
/** The most tokens a bucket may hold, and the fastest rate per second: far above any real need. */
const MAX_RATE = 1_000_000_000;
const header = fieldName('header', 'header name ');

/** "100/s" → 100 tokens per second; "6000/m" → 100; decimals allowed ("0.5/s"). */
export const rate: Parse<number> = (value) => {
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\/([sm])$/.exec(value.trim()) : null;
  if (!m) return new Invalid(RATE_RULE);
  const perSecond = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
  if (perSecond <= 0) return new Invalid('must be more than 0 (leave rate_limit out for no limit)');
  return perSecond <= MAX_RATE ? perSecond : new Invalid(`must be at most ${MAX_RATE}/s`);
};

/** ip | header:NAME (lower-cased). */
export const rateKey: Parse<RateKey> = (value) => {
  if (value === 'ip') return { kind: 'ip' };
  const m = typeof value === 'string' ? /^header:(.*)$/.exec(value) : null;
  if (!m) return new Invalid(`${RATE_KEY_RULE}${typeof value === 'string' ? didYouMean(value, ['ip', 'header:NAME']) : ''}`);
  const name = header(m[1]);
  return name instanceof Invalid ? name : { kind: 'header', name };
};

/** The route's rate_limit, or undefined when it has none (or its rate is missing or invalid: reported). */
export function readRateLimit(route: Block): RateLimitConfig | undefined {
  const block = route.feature('rate_limit', RATE_KEYS);
  if (block === undefined) return undefined;
  const perSecond = block.require('rate', rate);
  const burst = block.read('burst', integer({ min: 1, max: MAX_RATE }), Math.max(1, Math.ceil(perSecond ?? 1)));
  const key = block.read<RateKey>('key', rateKey, { kind: 'ip' });
  return perSecond === undefined ? undefined : { rate: perSecond, burst, key };
}
