/**
 * @module config/validate-health
 * Validation of an upstream's `health_check:` block (active checks): the parsers for the
 * values only a check has (request path, Host header, expected status), defaults for every
 * key left out, and the rules that span keys: http-only keys are refused with type tcp,
 * and neither timeout nor fast_interval may be longer than interval (a default adapts to
 * the written side; both written out of order is an error). No block, no checks.
 */
import { isIPv6 } from 'node:net';
import type { HealthCheckConfig } from '../core/config.js';
import { HOSTNAME_RE } from './address.js';
import {
  CHECK_JITTER_PERCENT,
  DEFAULT_HEALTH_CHECK,
  HEALTH_CHECK_METHODS,
  HEALTH_CHECK_TYPES,
  PORT_RANGE,
  RISE_FALL_RANGE,
  STATUS_CODE_RANGE,
} from './defaults.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { duration, integer, keepOrder, oneOf, readFields, text } from './validate-values.js';
import type { Fields } from './validate-values.js';
import { percent } from './validate-percent.js';

export const CHECK_PATH_RULE = 'must be a path starting with "/", in printable ASCII without spaces or "#"';
export const HOST_HEADER_RULE = 'must be a host like example.com, example.com:8080 or [::1]:8080';
export const STATUS_RULE = 'must be a status code like 200 or a range like 200-399';

/** The request target of an http check: "/healthz"; a query string is allowed. */
export const checkPath: Parse<string> = (value) =>
  typeof value === 'string' && /^\/[\x21-\x22\x24-\x7e]*$/.test(value) ? value : new Invalid(CHECK_PATH_RULE);

/** A Host header value: a host name or bracketed IPv6 address, with an optional port 1..65535. */
export const hostHeader: Parse<string> = (value) => {
  const m = typeof value === 'string' ? /^(?:\[([^\]]*)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value) : null;
  const [, v6, name, port] = m ?? [];
  if (!m || !(v6 === undefined ? HOSTNAME_RE.test(name as string) : isIPv6(v6))) return new Invalid(HOST_HEADER_RULE);
  return port === undefined || (Number(port) >= 1 && Number(port) <= PORT_RANGE.max) ? (value as string) : new Invalid(`port must be between 1 and ${PORT_RANGE.max}`);
};

/** "200", 200 or "200-399": an inclusive range of status codes. */
export const statusRange: Parse<{ min: number; max: number }> = (value) => {
  const m = typeof value === 'number' || typeof value === 'string' ? /^(\d+)(?:-(\d+))?$/.exec(String(value)) : null;
  if (!m) return new Invalid(STATUS_RULE);
  const [min, max] = [Number(m[1]), Number(m[2] ?? m[1])];
  const { min: lowest, max: highest } = STATUS_CODE_RANGE;
  if (min < lowest || max > highest) return new Invalid(`status codes must be between ${lowest} and ${highest}`);
  return min <= max ? { min, max } : new Invalid(`the range is backwards: write ${max}-${min}`);
};

const FIELDS: Fields<HealthCheckConfig> = {
  type: oneOf(HEALTH_CHECK_TYPES),
  path: checkPath,
  method: oneOf(HEALTH_CHECK_METHODS),
  host: hostHeader,
  expect_status: statusRange,
  expect_body: text,
  interval: duration,
  timeout: duration,
  rise: integer(RISE_FALL_RANGE),
  fall: integer(RISE_FALL_RANGE),
  jitter: percent(CHECK_JITTER_PERCENT),
  fast_interval: duration,
};
const KEYS = Object.keys(FIELDS);
/** The keys that only mean something when type is http. */
const HTTP_ONLY_KEYS = ['path', 'method', 'host', 'expect_status', 'expect_body'] as const;

/** The upstream's health_check block: undefined when it is absent, all defaults when it is empty. */
export function readHealthCheck(checker: Checker, upstream: Block): HealthCheckConfig | undefined {
  const block = upstream.feature('health_check', KEYS);
  if (!block) return undefined;
  const read = readFields(block, FIELDS, DEFAULT_HEALTH_CHECK);
  // interval: 300ms alone gives timeout and fast_interval 300ms; timeout: 5s alone, interval 5s.
  const check = keepOrder(checker, block, keepOrder(checker, block, read, 'timeout', 'interval'), 'fast_interval', 'interval');
  if (check.type === 'tcp') {
    for (const e of HTTP_ONLY_KEYS.map((key) => block.get(key))) {
      if (e) checker.report(e.key, e.path, 'is only allowed when type is http (this check is tcp)');
    }
  }
  return check;
}
