/**
 * @module test/unit/balancer/sticky-key
 * stickyKey for each mode: the cookie scan (quoted values, several cookies, several Cookie
 * headers, names inside other values), header and ip keys, and every way a key is missing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, requestCookie, stickyKey } from '../../../src/balancer/sticky/index.js';
import type { StickyConfig } from '../../../src/core/config.js';

const config = (mode: StickyConfig['mode'], name?: string): StickyConfig => ({ mode, name, ttl: 60_000, max_entries: 10 });
const req = (headers: IncomingHttpHeaders, clientIp?: string) => ({ headers, clientIp });
const cookie = (header: string | string[] | undefined, name = 'sid') => requestCookie(header, name);

describe('cookie and learn modes', () => {
  it.each(['cookie', 'learn'] as const)('%s: reads the named cookie from the Cookie header', (mode) => {
    expect(stickyKey(config(mode, 'JSESSIONID'), req({ cookie: 'a=1; JSESSIONID=abc123; b=2' }))).toBe('abc123');
    expect(stickyKey(config(mode, 'JSESSIONID'), req({ cookie: 'a=1' }))).toBeUndefined();
    expect(stickyKey(config(mode, 'JSESSIONID'), req({}))).toBeUndefined();
  });

  it.each([
    ['sid=abc', 'abc'],
    ['a=1;sid=abc;b=2', 'abc'],
    ['a=1;   sid=abc  ; b=2', 'abc'],
    ['a=1;\tsid=abc', 'abc'],
    ['sid="abc"', 'abc'],
    ['a=1; sid="a b"', 'a b'],
    ['sid="', '"'],
    ['sid=a=b', 'a=b'],
    ['sid=abc; sid=def', 'abc'],
    ['sid=; other=1', undefined],
    ['sid=""', undefined],
    ['sid', undefined],
    ['sids=abc', undefined],
    ['xsid=abc', undefined],
    ['a=sid=abc', undefined],
    ['SID=abc', undefined],
    ['a=1; sid =abc', undefined],
    ['', undefined],
    [';;;', undefined],
  ])('Cookie %j → %j', (header, value) => {
    expect(cookie(header)).toBe(value);
  });

  it('reads several Cookie headers in order, the first with the cookie winning', () => {
    expect(cookie(['a=1', 'b=2; sid=two', 'sid=three'])).toBe('two');
    expect(cookie(['a=1', 'b=2'])).toBeUndefined();
    expect(cookie([])).toBeUndefined();
    expect(stickyKey(config('cookie', 'sid'), req({ cookie: ['x=1', 'sid=z'] as unknown as string }))).toBe('z');
  });

  it('refuses keys longer than MAX_KEY_LENGTH', () => {
    expect(cookie(`sid=${'k'.repeat(MAX_KEY_LENGTH)}`)).toHaveLength(MAX_KEY_LENGTH);
    expect(cookie(`sid="${'k'.repeat(MAX_KEY_LENGTH)}"`)).toHaveLength(MAX_KEY_LENGTH);
    expect(cookie(`sid=${'k'.repeat(MAX_KEY_LENGTH + 1)}`)).toBeUndefined();
  });
});

describe('header mode', () => {
  it('reads the header, the first value when repeated', () => {
    const c = config('header', 'x-session');
    expect(stickyKey(c, req({ 'x-session': 'abc' }))).toBe('abc');
    expect(stickyKey(c, req({ 'x-session': ['one', 'two'] } as IncomingHttpHeaders))).toBe('one');
    expect(stickyKey(c, req({ 'x-session': '' }))).toBeUndefined();
    expect(stickyKey(c, req({ 'x-session': [] } as unknown as IncomingHttpHeaders))).toBeUndefined();
    expect(stickyKey(c, req({ 'x-other': 'abc' }, '10.0.0.1'))).toBeUndefined();
    expect(stickyKey(c, req({ 'x-session': 'k'.repeat(MAX_KEY_LENGTH + 1) }))).toBeUndefined();
  });
});

describe('ip mode', () => {
  it('uses the client address', () => {
    expect(stickyKey(config('ip'), req({ cookie: 'sid=x' }, '192.0.2.7'))).toBe('192.0.2.7');
    expect(stickyKey(config('ip'), req({}, '2001:db8::1'))).toBe('2001:db8::1');
    expect(stickyKey(config('ip'), req({}))).toBeUndefined();
    expect(stickyKey(config('ip'), req({}, ''))).toBeUndefined();
  });
});

it('has no key without a name (a config that skipped validation)', () => {
  for (const mode of ['cookie', 'learn', 'header'] as const) expect(stickyKey(config(mode), req({ cookie: 'undefined=x' }))).toBeUndefined();
});
