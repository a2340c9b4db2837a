/**
 * @module test/unit/config/validate-rate.test
 * The rate_limit value parsers: rate ("100/s", "6000/m"), key (ip | header:NAME).
 */
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../src/config/validate-context.js';
import { RATE_RULE, rate, rateKey } from '../../../src/config/validate-rate.js';

const rule = (v: unknown): string | undefined => (v instanceof Invalid ? v.rule : undefined);

describe('rate_limit values', () => {
  it('reads rates per second and per minute as tokens per second', () => {
    expect(rate('100/s')).toBe(100);
    expect(rate('6000/m')).toBe(100);
    expect(rate('0.5/s')).toBe(0.5);
    expect(rate('1/m')).toBeCloseTo(1 / 60);
  });

  it('refuses other shapes, zero and absurd rates', () => {
    for (const v of ['100', '100/h', '/s', '-1/s', 100, '100 / s', 'fast']) expect(rule(rate(v))).toBe(RATE_RULE);
    expect(rule(rate('0/s'))).toBe('must be more than 0 (leave rate_limit out for no limit)');
    expect(rule(rate('2000000000/s'))).toBe('must be at most 1000000000/s');
  });

  it('reads the key: ip or a lower-cased header name', () => {
    expect(rateKey('ip')).toEqual({ kind: 'ip' });
    expect(rateKey('header:X-Api-Key')).toEqual({ kind: 'header', name: 'x-api-key' });
    expect(rule(rateKey('header:'))).toContain('header name must be a valid HTTP token');
    expect(rule(rateKey('cookie:sid'))).toBe('must be ip or header:NAME');
    expect(rule(rateKey('IP'))).toBe('must be ip or header:NAME (did you mean "ip"?)');
  });
});
