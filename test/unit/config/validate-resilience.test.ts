/**
 * @module test/unit/config/validate-resilience
 * The outlier_detection, circuit_breaker and retries blocks: absent vs empty, every key at
 * and just past its limits, retry conditions, and the rules between keys.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_OUTLIER_DETECTION, DEFAULT_RETRIES } from '../../../src/config/index.js';
import { RETRY_CONDITIONS } from '../../../src/core/config.js';
import { located, onlyRule, problems, upstreamWith, web } from './fixtures.js';

type BlockName = 'outlier_detection' | 'circuit_breaker' | 'retries';
const read = (block: BlockName, value: unknown) => web(upstreamWith({ [block]: value }))[block] as unknown as Record<string, unknown>;
const ruleOf = (block: BlockName, key: string, value: unknown) =>
  onlyRule(upstreamWith({ [block]: { [key]: value } }), `upstreams.web.${block}.${key}`);
const PERCENT = 'must be a percentage like 10% or 12.5%';
const SIGN = 'must be a percentage with the % sign:';

describe('absent and empty blocks', () => {
  it('leaves each feature off (undefined) when its block is absent', () => {
    const u = web(upstreamWith({}));
    expect([u.outlier_detection, u.circuit_breaker, u.retries]).toEqual([undefined, undefined, undefined]);
  });

  it('fills every default for an empty block', () => {
    const outlier = { consecutive_5xx: 5, consecutive_gateway_failures: 3, base_ejection_time: 30_000, max_ejection_time: 300_000, max_ejection_percent: 0.5, jitter: 0.1 };
    const breaker = { max_concurrent: 1000, max_pending: 100, pending_timeout: 1000, error_rate: 0.5, min_requests: 20, window: 10_000, open_for: 30_000, half_open_probes: 3 };
    const retries = { attempts: 2, on: ['connect-failure', 'reset', '502', '503', '504'], budget: 0.2, per_try_timeout: 30_000, buffer_body: 65_536 };
    for (const empty of [{}, null]) {
      expect(read('outlier_detection', empty)).toEqual(outlier);
      expect(read('circuit_breaker', empty)).toEqual(breaker);
      expect(read('retries', empty)).toEqual(retries);
    }
    expect([DEFAULT_OUTLIER_DETECTION, DEFAULT_CIRCUIT_BREAKER, { ...DEFAULT_RETRIES, per_try_timeout: 30_000 }]).toEqual([outlier, breaker, retries]);
  });

  it.each<BlockName>(['outlier_detection', 'circuit_breaker', 'retries'])('%s: rejects a non-mapping and unknown keys', (block) => {
    expect(problems(upstreamWith({ [block]: true }))).toEqual([`upstreams.web.${block}: must be a mapping`]);
    expect(ruleOf(block, 'colour', 1)).toMatch(/^unknown key "colour"; expected one of: /);
  });

  it('suggests the nearest key', () => {
    expect(ruleOf('outlier_detection', 'consecutive_5xxs', 1)).toMatch(/\(did you mean "consecutive_5xx"\?\)$/);
    expect(ruleOf('circuit_breaker', 'max_concurent', 1)).toMatch(/\(did you mean "max_concurrent"\?\)$/);
    expect(ruleOf('retries', 'attempt', 1)).toBe(
      'unknown key "attempt"; expected one of: attempts, on, budget, per_try_timeout, buffer_body (did you mean "attempts"?)',
    );
  });
});

describe('integer keys', () => {
  it.each<[BlockName, string, number, number]>([
    ['outlier_detection', 'consecutive_5xx', 1, 1000],
    ['outlier_detection', 'consecutive_gateway_failures', 1, 1000],
    ['circuit_breaker', 'max_concurrent', 1, 1_000_000],
    ['circuit_breaker', 'max_pending', 0, 1_000_000],
    ['circuit_breaker', 'min_requests', 1, 1_000_000],
    ['circuit_breaker', 'half_open_probes', 1, 1000],
    ['retries', 'attempts', 0, 10],
  ])('%s.%s is an integer %d..%d', (block, key, min, max) => {
    expect(read(block, { [key]: min })[key]).toBe(min);
    expect(read(block, { [key]: max })[key]).toBe(max);
    for (const bad of [min - 1, max + 1, 1.5, String(min + 1), null]) {
      expect(ruleOf(block, key, bad)).toBe(`must be an integer between ${min} and ${max}`);
    }
  });
});

describe('duration keys', () => {
  it.each<[BlockName, string]>([
    ['outlier_detection', 'base_ejection_time'],
    ['circuit_breaker', 'pending_timeout'],
    ['circuit_breaker', 'window'],
    ['circuit_breaker', 'open_for'],
    ['retries', 'per_try_timeout'],
  ])('%s.%s is a duration longer than 0', (block, key) => {
    expect(read(block, { [key]: '1ms' })[key]).toBe(1);
    expect(read(block, { [key]: '1.5s' })[key]).toBe(1500);
    expect(ruleOf(block, key, 5)).toBe('must be a duration like 500ms, 2s, 1m or 7d');
    expect(ruleOf(block, key, '0s')).toBe('must be longer than 0');
    expect(ruleOf(block, key, '597h')).toBe('must be at most 596h');
  });

  it('max_ejection_time is a duration not shorter than base_ejection_time', () => {
    expect(read('outlier_detection', { max_ejection_time: '30s' }).max_ejection_time).toBe(30_000);
    expect(read('outlier_detection', { base_ejection_time: '1ms', max_ejection_time: '1ms' }).max_ejection_time).toBe(1);
    expect(ruleOf('outlier_detection', 'max_ejection_time', '0s')).toBe('must be longer than 0');
    expect(read('outlier_detection', { max_ejection_time: '29s' })).toMatchObject({ base_ejection_time: 29_000, max_ejection_time: 29_000 });
    expect(problems(upstreamWith({ outlier_detection: { base_ejection_time: '10m', max_ejection_time: '5m' } }))).toEqual([
      'upstreams.web.outlier_detection.base_ejection_time: must not be longer than upstreams.web.outlier_detection.max_ejection_time (5m)',
    ]);
  });
});

describe('percentage keys', () => {
  it.each<[BlockName, string, number, number]>([
    ['outlier_detection', 'max_ejection_percent', 0, 100],
    ['outlier_detection', 'jitter', 0, 100],
    ['circuit_breaker', 'error_rate', 1, 100],
    ['retries', 'budget', 1, 100],
  ])('%s.%s is %d%%..%d%%, read as a fraction', (block, key, min, max) => {
    expect(read(block, { [key]: `${min}%` })[key]).toBe(min / 100);
    expect(read(block, { [key]: `${max}%` })[key]).toBe(1);
    expect(read(block, { [key]: '33.5%' })[key]).toBe(0.335);
    const range = `must be between ${min}% and ${max}%`;
    expect(ruleOf(block, key, `${max + 1}%`)).toBe(range);
    if (min > 0) expect(ruleOf(block, key, `${min - 0.5}%`)).toBe(range);
    if (key.endsWith('_percent')) return;
    expect(ruleOf(block, key, '50')).toBe(PERCENT);
    expect(ruleOf(block, key, '-5%')).toBe(PERCENT);
  });

  // A key named *_percent says what its number is (Envoy's max_ejection_percent: 50); any
  // other percentage key needs the % sign, and the message says how to write it.
  it.each<[BlockName, string]>([
    ['outlier_detection', 'jitter'],
    ['circuit_breaker', 'error_rate'],
    ['retries', 'budget'],
  ])('%s.%s refuses a bare number and says to write the % sign', (block, key) => {
    expect(ruleOf(block, key, 50)).toBe(`${SIGN} write 50% (a bare number could be a fraction or a percentage)`);
    expect(ruleOf(block, key, 0.5)).toBe(`${SIGN} write 50% for the fraction 0.5, or 0.5% (a bare number could be either)`);
    expect(ruleOf(block, key, 0.07)).toBe(`${SIGN} write 7% for the fraction 0.07, or 0.07% (a bare number could be either)`);
    expect(ruleOf(block, key, -5)).toBe(PERCENT);
  });

  it('outlier_detection.max_ejection_percent takes a bare number as a percentage, 0 to 100', () => {
    for (const [written, fraction] of [[50, 0.5], [0, 0], [100, 1], [12.5, 0.125], [0.5, 0.005], ['50%', 0.5]] as const) {
      expect(read('outlier_detection', { max_ejection_percent: written }).max_ejection_percent).toBe(fraction);
    }
    expect(ruleOf('outlier_detection', 'max_ejection_percent', 101)).toBe('must be between 0 and 100 (a percentage)');
    expect(ruleOf('outlier_detection', 'max_ejection_percent', -1)).toBe('must be between 0 and 100 (a percentage)');
    expect(ruleOf('outlier_detection', 'max_ejection_percent', '101%')).toBe('must be between 0% and 100%');
    expect(ruleOf('outlier_detection', 'max_ejection_percent', '50')).toBe('must be a percentage like 50 or 50% (a number, or with the % sign)');
    expect(ruleOf('outlier_detection', 'max_ejection_percent', true)).toBe('must be a percentage like 50 or 50% (a number, or with the % sign)');
  });
});

describe('retries', () => {
  it('defaults per_try_timeout to the upstream timeouts.response', () => {
    expect(web(upstreamWith({ timeouts: { response: '5s' }, retries: {} })).retries?.per_try_timeout).toBe(5000);
    expect(web(upstreamWith({ timeouts: { response: '5s' }, retries: { per_try_timeout: '1s' } })).retries?.per_try_timeout).toBe(1000);
  });

  it.each([
    [0, 0],
    ['0b', 0],
    [100, 100],
    ['64kb', 65_536],
    ['1mb', 1_048_576],
  ])('reads buffer_body %j as %d bytes', (buffer_body, bytes) => {
    expect(read('retries', { buffer_body }).buffer_body).toBe(bytes);
  });

  it.each([-1, 1.5, '64k', '10 kb', true])('rejects buffer_body %j', (buffer_body) => {
    expect(ruleOf('retries', 'buffer_body', buffer_body)).toBe('must be a size like 512b, 16kb or 10mb');
  });

  it('reads on: statuses as YAML integers or strings, normalised to strings, in the order written', () => {
    expect(read('retries', { on: [504, '503', 'timeout'] }).on).toEqual(['504', '503', 'timeout']);
    expect(read('retries', { on: [...RETRY_CONDITIONS] }).on).toEqual(RETRY_CONDITIONS);
    expect(read('retries', { on: ['reset'], attempts: 0 })).toMatchObject({ on: ['reset'], attempts: 0 });
  });

  it.each([
    ['conect-failure', 'must be one of: connect-failure, reset, timeout, 502, 503, 504 (did you mean "connect-failure"?)'],
    ['5xx', 'must be one of: connect-failure, reset, timeout, 502, 503, 504'],
    [500, 'must be one of: connect-failure, reset, timeout, 502, 503, 504 (no other status is retried)'],
    ['429', 'must be one of: connect-failure, reset, timeout, 502, 503, 504 (no other status is retried)'],
    [true, 'must be one of: connect-failure, reset, timeout, 502, 503, 504'],
  ])('rejects condition %j, at its index', (condition, rule) => {
    expect(onlyRule(upstreamWith({ retries: { on: ['reset', condition] } }), 'upstreams.web.retries.on[1]')).toBe(rule);
  });

  it('rejects duplicates (502 and "502" are the same), an empty list and a single value', () => {
    expect(problems(upstreamWith({ retries: { on: [502, 'reset', '502'] } }))).toEqual([
      'upstreams.web.retries.on[2]: duplicate condition "502"; upstreams.web.retries.on[0] is the same',
    ]);
    expect(ruleOf('retries', 'on', [])).toBe('must list at least one condition');
    expect(ruleOf('retries', 'on', 'reset')).toBe('must be a list');
  });

  it('collects issues of all blocks in one pass, at exact positions', () => {
    const text = `upstreams:
  web:
    outlier_detection: { max_ejection_percent: 150% }
    circuit_breaker:
      max_pending: -1
    retries:
      on: [reset, 502, 502]
      budget: 0.2
    servers: [{ url: "http://a" }]
routes: [{ upstream: web }]
`;
    expect(located(text)).toEqual([
      [3, 48, 'upstreams.web.outlier_detection.max_ejection_percent', 'must be between 0% and 100%'],
      [5, 20, 'upstreams.web.circuit_breaker.max_pending', 'must be an integer between 0 and 1000000'],
      [7, 24, 'upstreams.web.retries.on[2]', 'duplicate condition "502"; upstreams.web.retries.on[1] is the same'],
      [8, 15, 'upstreams.web.retries.budget', `${SIGN} write 20% for the fraction 0.2, or 0.2% (a bare number could be either)`],
    ]);
  });
});
