/**
 * A route's path rewriting in isolation: strip only at a segment boundary, an emptied path
 * becomes "/", add_prefix goes in front, the query string is kept untouched. Over real
 * sockets (what the origin receives after normalisation): test/integration/route-rewrite.
 */
import { describe, expect, it } from 'vitest';
import { pathRewrite } from '../../../src/proxy/route-path.js';

describe('pathRewrite', () => {
  it('is absent when the route rewrites nothing', () => {
    expect(pathRewrite(undefined, undefined)).toBeUndefined();
  });

  it('strips a prefix only at a segment boundary', () => {
    const r = pathRewrite('/api', undefined)!;
    expect(r('/api/users')).toBe('/users');
    expect(r('/api/users/')).toBe('/users/');
    expect(r('/api')).toBe('/');
    expect(r('/api/')).toBe('/');
    expect(r('/apix/users')).toBe('/apix/users');
    expect(r('/x/api/users')).toBe('/x/api/users');
    expect(r('/API/users')).toBe('/API/users'); // paths are case-sensitive (RFC 3986 §6.2.2.1)
  });

  it('reads a trailing "/" on the prefix as the same boundary', () => {
    const r = pathRewrite('/api/', '/v2/')!;
    expect(r('/api/users')).toBe('/v2/users');
    expect(r('/api')).toBe('/v2/');
  });

  it('keeps the query string as it came, even when it looks like a path', () => {
    const r = pathRewrite('/api', '/v2')!;
    expect(r('/api/users?next=/api/x&a=%2F')).toBe('/v2/users?next=/api/x&a=%2F');
    expect(r('/api?x=1')).toBe('/v2/?x=1');
    expect(r('/other?x=/api/')).toBe('/v2/other?x=/api/');
  });

  it('adds a prefix alone in front of any path', () => {
    const r = pathRewrite(undefined, '/v2')!;
    expect(r('/')).toBe('/v2/');
    expect(r('/users')).toBe('/v2/users');
  });
});
