/**
 * @module test/unit/balancer/sticky-cookie
 * Session ids, the Set-Cookie header bulwark sends, and learning the application's session
 * cookie from its responses: several Set-Cookie headers, quoted values and deletions.
 */
import { describe, expect, it } from 'vitest';
import { learnFromSetCookie, newSessionId, setCookieHeader } from '../../../src/balancer/sticky/index.js';

describe('newSessionId', () => {
  it('is 16 random bytes in base64url, different every time, across batches', () => {
    const ids = Array.from({ length: 1000 }, () => newSessionId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('setCookieHeader', () => {
  it('writes Path, HttpOnly, SameSite=Lax and Max-Age; Secure only when asked', () => {
    expect(setCookieHeader('bulwark_sid', 'abc', { secure: false, maxAgeSec: 1800 })).toBe('bulwark_sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800');
    expect(setCookieHeader('bulwark_sid', 'abc', { secure: true, maxAgeSec: 1800 })).toBe(
      'bulwark_sid=abc; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=1800',
    );
  });

  it('writes Max-Age as whole seconds, never negative', () => {
    expect(setCookieHeader('s', 'v', { secure: false, maxAgeSec: 1.9 })).toMatch(/; Max-Age=1$/);
    expect(setCookieHeader('s', 'v', { secure: false, maxAgeSec: -5 })).toMatch(/; Max-Age=0$/);
  });
});

describe('learnFromSetCookie', () => {
  const NOW = Date.parse('2025-01-01T00:00:00Z');
  const learn = (h: string | string[] | undefined, name = 'JSESSIONID') => learnFromSetCookie(h, name, NOW);

  it.each([
    ['JSESSIONID=abc; Path=/; HttpOnly', 'abc'],
    ['JSESSIONID=abc', 'abc'],
    ['  JSESSIONID=abc ;Path=/', 'abc'],
    ['JSESSIONID="abc"; Secure', 'abc'],
    ['JSESSIONID=abc; Max-Age=3600', 'abc'],
    ['JSESSIONID=abc; Expires=Thu, 01 Jan 2026 00:00:00 GMT', 'abc'],
    ['JSESSIONID=abc; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'abc'],
    ['JSESSIONID=abc; Max-Age=soon', 'abc'],
    ['JSESSIONID=abc; Expires=whenever', 'abc'],
    ['OTHER=abc', undefined],
    ['XJSESSIONID=abc', undefined],
    ['jsessionid=abc', undefined],
    ['JSESSIONID=; Path=/', undefined],
    ['JSESSIONID=abc; Max-Age=0', undefined],
    ['JSESSIONID=abc; max-age=-1', undefined],
    ['JSESSIONID=abc; Expires=Thu, 01 Jan 1970 00:00:00 GMT', undefined],
    ['JSESSIONID=abc; expires=Wed, 01 Jan 2025 00:00:00 GMT', undefined],
    ['JSESSIONID=abc; Max-Age=0; Expires=Thu, 01 Jan 2026 00:00:00 GMT', undefined],
  ])('Set-Cookie %j → %j', (header, value) => {
    expect(learn(header)).toBe(value);
    expect(learn([header])).toBe(value);
  });

  it('reads several Set-Cookie headers; for the name, the last one decides', () => {
    expect(learn(['theme=dark', 'JSESSIONID=abc; Path=/', 'lang=en'])).toBe('abc');
    expect(learn(['JSESSIONID=old; Max-Age=0', 'JSESSIONID=new'])).toBe('new');
    expect(learn(['JSESSIONID=new', 'JSESSIONID=; Max-Age=0'])).toBeUndefined();
    expect(learn(['JSESSIONID=one', 'JSESSIONID=two', 'other=x'])).toBe('two');
    expect(learn(['a=1', 'b=2'])).toBeUndefined();
    expect(learn([])).toBeUndefined();
    expect(learn(undefined)).toBeUndefined();
  });

  it('defaults now to the current time', () => {
    expect(learnFromSetCookie('s=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 's')).toBeUndefined();
    expect(learnFromSetCookie(`s=v; Expires=${new Date(Date.now() + 3_600_000).toUTCString()}`, 's')).toBe('v');
  });
});
