/**
 * @module test/unit/config/validate-health
 * The health_check block: absent vs empty, every key's good and bad values at their
 * boundaries, and the rules between keys (http-only keys with tcp, timeouts within interval).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_CHECK } from '../../../src/config/index.js';
import { located, onlyRule, problems, upstreamWith, web } from './fixtures.js';

const check = (hc: unknown) => web(upstreamWith({ health_check: hc })).health_check;
const ruleOf = (key: string, value: unknown) => onlyRule(upstreamWith({ health_check: { [key]: value } }), `upstreams.web.health_check.${key}`);
const DURATION = 'must be a duration like 500ms, 2s, 1m or 7d';

describe('health_check block', () => {
  it('is undefined when absent: no active checks', () => {
    expect(web(upstreamWith({})).health_check).toBeUndefined();
  });

  it('fills every default for an empty block, written as {} or with nothing under it', () => {
    const defaults = {
      type: 'http',
      path: '/',
      method: 'GET',
      host: undefined,
      expect_status: { min: 200, max: 399 },
      expect_body: undefined,
      interval: 2000,
      timeout: 1000,
      rise: 2,
      fall: 3,
      jitter: 0.1,
      fast_interval: 500,
    };
    expect(check({})).toEqual(defaults);
    expect(check(null)).toEqual(defaults);
    expect(DEFAULT_HEALTH_CHECK).toEqual(defaults);
  });

  it('reads every key', () => {
    const hc = {
      type: 'http',
      path: '/healthz?deep=1',
      method: 'HEAD',
      host: 'app.example.com:8443',
      expect_status: '200-299',
      expect_body: 'ok',
      interval: '10s',
      timeout: '10s',
      rise: 1,
      fall: 100,
      jitter: '0%',
      fast_interval: '1s',
    };
    expect(check(hc)).toEqual({ ...hc, expect_status: { min: 200, max: 299 }, interval: 10_000, timeout: 10_000, jitter: 0, fast_interval: 1000 });
    expect(check({ type: 'tcp', interval: '5s', rise: 3 })).toEqual({ ...DEFAULT_HEALTH_CHECK, type: 'tcp', interval: 5000, rise: 3 });
  });

  it('rejects unknown keys with a suggestion, and a value that is not a mapping', () => {
    expect(ruleOf('intervall', '1s')).toBe(
      'unknown key "intervall"; expected one of: type, path, method, host, expect_status, expect_body, interval, timeout, rise, fall, ' +
        'jitter, fast_interval (did you mean "interval"?)',
    );
    expect(ruleOf('expected_status', 200)).toMatch(/\(did you mean "expect_status"\?\)$/);
    expect(problems(upstreamWith({ health_check: true }))).toEqual(['upstreams.web.health_check: must be a mapping']);
    expect(problems(upstreamWith({ health_check: ['/healthz'] }))).toEqual(['upstreams.web.health_check: must be a mapping']);
  });
});

describe('health_check values', () => {
  it('type: http or tcp', () => {
    expect(ruleOf('type', 'udp')).toBe('must be one of: http, tcp');
    expect(ruleOf('type', 'HTTP')).toBe('must be one of: http, tcp (did you mean "http"?)');
  });

  it.each(['/', '/healthz', '/a/b?x=1&y=%20', "/~!$&'()*+,;=:@"])('accepts path %j', (path) => {
    expect(check({ path })?.path).toBe(path);
  });

  it.each(['healthz', '', '/a b', '/a#b', '/é', '/a\tb', 5, null])('rejects path %j', (path) => {
    expect(ruleOf('path', path)).toBe('must be a path starting with "/", in printable ASCII without spaces or "#"');
  });

  it.each(['GET', 'HEAD', 'OPTIONS'])('accepts method %s', (method) => {
    expect(check({ method })?.method).toBe(method);
  });

  it('rejects other methods, suggesting the spelling', () => {
    expect(ruleOf('method', 'POST')).toBe('must be one of: GET, HEAD, OPTIONS');
    expect(ruleOf('method', 'get')).toBe('must be one of: GET, HEAD, OPTIONS (did you mean "GET"?)');
  });

  it.each(['example.com', 'localhost', 'example.com:1', 'example.com:65535', '127.0.0.1:8080', '[::1]', '[::1]:8080'])('accepts host %j', (host) => {
    expect(check({ host })?.host).toBe(host);
  });

  it.each([
    ['exa mple.com', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['http://example.com', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['::1', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['[zz]:80', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['-a.com', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['', 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    [8080, 'must be a host like example.com, example.com:8080 or [::1]:8080'],
    ['example.com:0', 'port must be between 1 and 65535'],
    ['example.com:65536', 'port must be between 1 and 65535'],
  ])('rejects host %j', (host, rule) => {
    expect(ruleOf('host', host)).toBe(rule);
  });

  it.each([
    [200, 200, 200],
    ['204', 204, 204],
    ['200-399', 200, 399],
    ['100-599', 100, 599],
    ['301-301', 301, 301],
  ])('reads expect_status %j as %d-%d', (expect_status, min, max) => {
    expect(check({ expect_status })?.expect_status).toEqual({ min, max });
  });

  it.each([
    ['2xx', 'must be a status code like 200 or a range like 200-399'],
    ['200-', 'must be a status code like 200 or a range like 200-399'],
    ['200 - 399', 'must be a status code like 200 or a range like 200-399'],
    [200.5, 'must be a status code like 200 or a range like 200-399'],
    [true, 'must be a status code like 200 or a range like 200-399'],
    [99, 'status codes must be between 100 and 599'],
    ['600', 'status codes must be between 100 and 599'],
    ['100-600', 'status codes must be between 100 and 599'],
    ['399-200', 'the range is backwards: write 200-399'],
  ])('rejects expect_status %j', (expect_status, rule) => {
    expect(ruleOf('expect_status', expect_status)).toBe(rule);
  });

  it('expect_body: a non-empty string', () => {
    expect(check({ expect_body: ' ' })?.expect_body).toBe(' ');
    expect(check({ expect_body: '"status":"ok"' })?.expect_body).toBe('"status":"ok"');
    expect(ruleOf('expect_body', '')).toBe('must not be empty');
    expect(ruleOf('expect_body', 200)).toBe('must be a string (quote numbers and true/false: "200")');
    expect(ruleOf('expect_body', true)).toBe('must be a string (quote numbers and true/false: "200")');
  });

  it.each(['interval', 'timeout', 'fast_interval'])('%s is a duration longer than 0', (key) => {
    expect(check({ interval: '1ms', timeout: '1ms', fast_interval: '1ms' })?.[key as 'interval']).toBe(1);
    expect(check({ interval: '596h', [key]: '596h' })?.[key as 'interval']).toBe(596 * 3_600_000);
    expect(ruleOf(key, '597h')).toBe('must be at most 596h');
    expect(ruleOf(key, 1)).toBe(DURATION);
    expect(ruleOf(key, '1')).toBe(DURATION);
    expect(ruleOf(key, '0s')).toBe('must be longer than 0');
  });

  it.each(['rise', 'fall'])('%s is an integer 1..100', (key) => {
    expect(check({ [key]: 1 })?.[key as 'rise']).toBe(1);
    expect(check({ [key]: 100 })?.[key as 'rise']).toBe(100);
    for (const bad of [0, 101, 1.5, '2', -1]) expect(ruleOf(key, bad)).toBe('must be an integer between 1 and 100');
  });

  it.each([
    ['0%', 0],
    ['50%', 0.5],
    ['12.5%', 0.125],
  ])('reads jitter %s as %d', (jitter, fraction) => {
    expect(check({ jitter })?.jitter).toBe(fraction);
  });

  it.each([
    ['51%', 'must be between 0% and 50%'],
    ['50.1%', 'must be between 0% and 50%'],
    [10, 'must be a percentage with the % sign: write 10% (a bare number could be a fraction or a percentage)'],
    [0.1, 'must be a percentage with the % sign: write 10% for the fraction 0.1, or 0.1% (a bare number could be either)'],
    ['10', 'must be a percentage like 10% or 12.5%'],
    ['10 %', 'must be a percentage like 10% or 12.5%'],
    ['-1%', 'must be a percentage like 10% or 12.5%'],
  ])('rejects jitter %j', (jitter, rule) => {
    expect(ruleOf('jitter', jitter)).toBe(rule);
  });
});

describe('health_check rules between keys', () => {
  it('timeout and fast_interval may equal interval but not exceed it', () => {
    expect(check({ interval: '1s', timeout: '1s', fast_interval: '1s' })).toMatchObject({ interval: 1000, timeout: 1000, fast_interval: 1000 });
    expect(problems(upstreamWith({ health_check: { interval: '2s', timeout: '3s' } }))).toEqual([
      'upstreams.web.health_check.timeout: must not be longer than upstreams.web.health_check.interval (2s)',
    ]);
    expect(problems(upstreamWith({ health_check: { interval: '5s', fast_interval: '6s' } }))).toEqual([
      'upstreams.web.health_check.fast_interval: must not be longer than upstreams.web.health_check.interval (5s)',
    ]);
  });

  it('a short interval brings the timeout and fast_interval defaults down to it (see adapting-defaults.test.ts)', () => {
    expect(check({ interval: '400ms' })).toMatchObject({ interval: 400, timeout: 400, fast_interval: 400 });
    expect(check({ interval: '500ms', timeout: '100ms' })).toMatchObject({ interval: 500, timeout: 100, fast_interval: 500 });
  });

  it('refuses every http-only key with type tcp, each where it is written', () => {
    const tcp = { type: 'tcp', path: '/h', method: 'GET', host: 'a.com', expect_status: 200, expect_body: 'ok' };
    const rule = 'is only allowed when type is http (this check is tcp)';
    expect(problems(upstreamWith({ health_check: tcp }))).toEqual(
      ['path', 'method', 'host', 'expect_status', 'expect_body'].map((k) => `upstreams.web.health_check.${k}: ${rule}`),
    );
  });

  it('does not flag http-only keys when type itself is invalid', () => {
    expect(problems(upstreamWith({ health_check: { type: 'tpc', path: '/h' } }))).toEqual([
      'upstreams.web.health_check.type: must be one of: http, tcp (did you mean "tcp"?)',
    ]);
  });

  it('points at the exact line and column', () => {
    const text = `upstreams:
  web:
    health_check:
      type: tcp
      path: /healthz
      jitter: 10
    servers: [{ url: "http://a" }]
routes: [{ upstream: web }]
`;
    expect(located(text)).toEqual([
      [5, 7, 'upstreams.web.health_check.path', 'is only allowed when type is http (this check is tcp)'],
      [6, 15, 'upstreams.web.health_check.jitter', expect.stringMatching(/^must be a percentage with the % sign: write 10%/)],
    ]);
  });
});
