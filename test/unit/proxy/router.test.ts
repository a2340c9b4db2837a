/**
 * Route matching in isolation (routing over real sockets is in test/integration/routing).
 * The proxy skips working out the host name when no route matches on it (`usesHost`).
 */
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../src/core/config.js';
import { Router, hostName } from '../../../src/proxy/router.js';

const route = (r: Partial<RouteConfig> & { upstream: string }): RouteConfig => ({ host: undefined, path_prefix: undefined, strip_prefix: undefined, add_prefix: undefined, headers: undefined, max_body_size: undefined, split: undefined, split_sticky: undefined, ...r });

describe('Router', () => {
  it('matches host (exact or wildcard) and path prefix, first match wins', () => {
    const r = new Router(
      [
        route({ host: 'api.example.com', path_prefix: '/v1/', upstream: 'v1' }),
        route({ host: '*.example.com', upstream: 'wild' }),
        route({ path_prefix: '/static/', upstream: 'static' }),
        route({ upstream: 'default' }),
      ],
      (route) => route.upstream,
    );
    expect(r.usesHost).toBe(true);
    expect(r.match('api.example.com', '/v1/users')).toBe('v1');
    expect(r.match('api.example.com', '/v2/users')).toBe('wild');
    expect(r.match('example.com', '/static/a.css')).toBe('static');
    expect(r.match('other.org', '/')).toBe('default');
  });

  it('says when no route looks at the host', () => {
    const r = new Router([route({ path_prefix: '/api/', upstream: 'api' }), route({ upstream: 'web' })], (route) => route.upstream);
    expect(r.usesHost).toBe(false);
    expect(r.match('', '/api/x')).toBe('api');
    expect(r.match('', '/x')).toBe('web');
  });

  it('normalises Host values: lower case, no port, IPv6 literals kept whole', () => {
    expect(hostName('API.Example.com:8080')).toBe('api.example.com');
    expect(hostName('[::1]:8080')).toBe('[::1]');
    expect(hostName(undefined)).toBe('');
  });
});
