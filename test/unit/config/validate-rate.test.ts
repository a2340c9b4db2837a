/**
 * @module test/unit/config/validate-rate.test
 * The rate_limit value parsers: rate ("100/s", "6000/m"), key (ip | header:NAME); a route's
 * rate_limit block and top-level trusted_proxies read through a whole config.
 */
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../src/config/validate-context.js';
import { RATE_RULE, rate, rateKey } from '../../../src/config/validate-rate.js';
import { CIDR_RULE } from '../../../src/config/validate-trusted.js';
import { issues, problems, valid, yamlWith } from './fixtures.js';

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

describe('routes[].rate_limit and trusted_proxies in a config', () => {
  const withLimit = (rate_limit: unknown) => yamlWith({ routes: [{ upstream: 'web', rate_limit }] });

  it('reads a route’s rate_limit with its defaults', () => {
    expect(valid(withLimit({ rate: '100/s', burst: 200, key: 'ip' })).routes[0]?.rate_limit).toEqual({ rate: 100, burst: 200, key: { kind: 'ip' } });
    expect(valid(withLimit({ rate: '6000/m' })).routes[0]?.rate_limit).toEqual({ rate: 100, burst: 100, key: { kind: 'ip' } });
    expect(valid(withLimit({ rate: '1/m', key: 'header:X-Api-Key' })).routes[0]?.rate_limit).toEqual({ rate: 1 / 60, burst: 1, key: { kind: 'header', name: 'x-api-key' } });
    expect(valid(yamlWith({})).routes[0]?.rate_limit).toBeUndefined();
  });

  it('reports each bad rate_limit key where it is written', () => {
    expect(problems(withLimit({ burst: 5 }))).toEqual(['routes[0].rate_limit.rate: is required']);
    expect(problems(withLimit({ rate: '10/s', burst: 0, key: 'cookie:a', per: 1 }))).toEqual([
      'routes[0].rate_limit.burst: must be an integer between 1 and 1000000000',
      'routes[0].rate_limit.key: must be ip or header:NAME',
      'routes[0].rate_limit.per: unknown key "per"; expected one of: rate, burst, key',
    ]);
    expect(problems(withLimit('100/s'))).toEqual(['routes[0].rate_limit: must be a mapping']);
    const [issue] = issues(withLimit({ rate: 'fast' }));
    expect([issue?.path, (issue?.line ?? 0) > 0]).toEqual(['routes[0].rate_limit.rate', true]);
  });

  it('reads trusted_proxies: addresses and CIDR ranges, empty by default', () => {
    expect(valid(yamlWith({})).trusted_proxies).toEqual([]);
    expect(valid(yamlWith({ trusted_proxies: [] })).trusted_proxies).toEqual([]);
    expect(valid(yamlWith({ trusted_proxies: ['10.0.0.0/8', '192.0.2.7', '2001:DB8::/32'] })).trusted_proxies).toEqual(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    expect(problems(yamlWith({ trusted_proxies: ['10.0.0.0/33', 'lb.local', '::1/129', 7] }))).toEqual([
      'trusted_proxies[0]: prefix length must be between 0 and 32',
      `trusted_proxies[1]: ${CIDR_RULE}`,
      'trusted_proxies[2]: prefix length must be between 0 and 128',
      `trusted_proxies[3]: ${CIDR_RULE}`,
    ]);
    expect(problems(yamlWith({ trusted_proxies: '10.0.0.0/8' }))).toEqual(['trusted_proxies: must be a list']);
  });

  it('reads proxy_protocol on a listener, which needs trusted_proxies', () => {
    const listen = (extra: string) => ({ listen: [{ address: '127.0.0.1:9000', proxy_protocol: true }], ...(extra ? { trusted_proxies: [extra] } : {}) });
    expect(valid(yamlWith(listen('10.0.0.0/8'))).listen[0]).toMatchObject({ proxy_protocol: true });
    expect(valid(yamlWith({ listen: [{ address: '127.0.0.1:9000' }] })).listen[0]?.proxy_protocol).toBeUndefined();
    expect(problems(yamlWith(listen('')))).toEqual(['listen[0].proxy_protocol: needs trusted_proxies: the addresses allowed to send PROXY headers']);
    expect(problems(yamlWith({ listen: [{ address: '127.0.0.1:9000', proxy_protocol: 'yes' }] }))).toEqual(['listen[0].proxy_protocol: must be true or false']);
  });
});
