/**
 * @module config/validate-resilience
 * Validation of an upstream's passive fault-tolerance blocks: outlier_detection,
 * circuit_breaker and retries. Each is off when absent and, when written (even empty),
 * gets the defaults of defaults.ts for every key it leaves out. Cross-checks:
 * max_ejection_time is not below base_ejection_time (a default adapts to the written
 * side); retry conditions are known and
 * listed once, whether a status is written as 502 or "502".
 */
import { RETRY_CONDITIONS } from '../core/config.js';
import type { BreakerConfig, OutlierConfig, RetryCondition, RetryConfig } from '../core/config.js';
import {
  ATTEMPTS_RANGE,
  CONSECUTIVE_RANGE,
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_OUTLIER_DETECTION,
  DEFAULT_RETRIES,
  EJECTION_PERCENT,
  ERROR_RATE_PERCENT,
  HALF_OPEN_PROBES_RANGE,
  MAX_CONCURRENT_RANGE,
  MAX_PENDING_RANGE,
  MIN_REQUESTS_RANGE,
  RETRY_BUDGET_PERCENT,
} from './defaults.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { duration, integer, keepOrder, oneOf, readFields, size } from './validate-values.js';
import type { Fields } from './validate-values.js';
import { percent, percentKey } from './validate-percent.js';

const OUTLIER_FIELDS: Fields<OutlierConfig> = {
  consecutive_5xx: integer(CONSECUTIVE_RANGE),
  consecutive_gateway_failures: integer(CONSECUTIVE_RANGE),
  base_ejection_time: duration,
  max_ejection_time: duration,
  max_ejection_percent: percentKey(EJECTION_PERCENT),
  jitter: percent(EJECTION_PERCENT),
};

const BREAKER_FIELDS: Fields<BreakerConfig> = {
  max_concurrent: integer(MAX_CONCURRENT_RANGE),
  max_pending: integer(MAX_PENDING_RANGE),
  pending_timeout: duration,
  error_rate: percent(ERROR_RATE_PERCENT),
  min_requests: integer(MIN_REQUESTS_RANGE),
  window: duration,
  open_for: duration,
  half_open_probes: integer(HALF_OPEN_PROBES_RANGE),
};

/** Every retries key but `on`, which is a list read item by item. */
const RETRY_FIELDS: Fields<Omit<RetryConfig, 'on'>> = {
  attempts: integer(ATTEMPTS_RANGE),
  budget: percent(RETRY_BUDGET_PERCENT),
  per_try_timeout: duration,
  buffer_body: size(0, '0b'),
};
const RETRY_KEYS = ['attempts', 'on', 'budget', 'per_try_timeout', 'buffer_body'];

const condition = oneOf(RETRY_CONDITIONS);

/** One retry condition; a status may be a YAML integer (502) or a string ("502"). */
export const retryCondition: Parse<RetryCondition> = (value) => {
  const text = typeof value === 'number' ? String(value) : value;
  const unknownStatus = typeof text === 'string' && /^\d+$/.test(text) && !(RETRY_CONDITIONS as readonly string[]).includes(text);
  return unknownStatus ? new Invalid(`must be one of: ${RETRY_CONDITIONS.join(', ')} (no other status is retried)`) : condition(text);
};

/** The upstream's outlier_detection block; undefined when it is absent. */
export function readOutlierDetection(checker: Checker, upstream: Block): OutlierConfig | undefined {
  const block = upstream.feature('outlier_detection', Object.keys(OUTLIER_FIELDS));
  if (!block) return undefined;
  const outlier = readFields(block, OUTLIER_FIELDS, DEFAULT_OUTLIER_DETECTION);
  return keepOrder(checker, block, outlier, 'base_ejection_time', 'max_ejection_time');
}

/** The upstream's circuit_breaker block; undefined when it is absent. */
export function readCircuitBreaker(upstream: Block): BreakerConfig | undefined {
  const block = upstream.feature('circuit_breaker', Object.keys(BREAKER_FIELDS));
  return block && readFields(block, BREAKER_FIELDS, DEFAULT_CIRCUIT_BREAKER);
}

/** The upstream's retries block; undefined when it is absent. per_try_timeout defaults to `response`. */
export function readRetries(checker: Checker, upstream: Block, response: number): RetryConfig | undefined {
  const block = upstream.feature('retries', RETRY_KEYS);
  if (!block) return undefined;
  const fields = readFields(block, RETRY_FIELDS, { ...DEFAULT_RETRIES, per_try_timeout: response });
  return { ...fields, on: readConditions(checker, block) };
}

/** `on`: a non-empty list of known conditions, each listed once. */
function readConditions(checker: Checker, block: Block): RetryCondition[] {
  const e = block.get('on');
  if (!e) return [...DEFAULT_RETRIES.on];
  const pathOf = new Map<RetryCondition, string>();
  for (const item of checker.list(e.value, e.path, 'condition')) {
    const c = checker.value(item.node, item.path, retryCondition);
    const first = c && pathOf.get(c);
    if (first) checker.report(item.node, item.path, `duplicate condition "${c}"; ${first} is the same`);
    else if (c) pathOf.set(c, item.path);
  }
  return [...pathOf.keys()];
}
