/**
 * @module test/unit/config/validate-routes
 * Route rules: match.host, match.path_prefix and the route → upstream cross-check.
 */
import { describe, expect, it } from 'vitest';
import { onlyRule, problems, valid, yamlWith } from './fixtures.js';

const route = (r: Record<string, unknown>): string => yamlWith({ routes: [r] });
const HOST_RULE = 'must be a host name like api.example.com or a wildcard like *.example.com';

describe('routes', () => {
  it('keeps routes in order with their match fields', () => {
    const text = yamlWith({
      routes: [{ match: { host: 'API.Example.com', path_prefix: '/api/' }, upstream: 'web' }, { match: { host: '*.example.com' }, upstream: 'web' }, { upstream: 'web' }],
    });
    expect(valid(text).routes).toEqual([
      { host: 'api.example.com', path_prefix: '/api/', upstream: 'web' },
      { host: '*.example.com', path_prefix: undefined, upstream: 'web' },
      { host: undefined, path_prefix: undefined, upstream: 'web' },
    ]);
  });

  it('treats an empty match as a catch-all', () => {
    expect(valid(route({ match: {}, upstream: 'web' })).routes).toEqual([{ host: undefined, path_prefix: undefined, upstream: 'web' }]);
    expect(valid(route({ match: null, upstream: 'web' })).routes[0]?.host).toBeUndefined();
  });

  it('requires a non-empty list of routes, each naming an upstream', () => {
    expect(problems(yamlWith({ routes: [] }))).toEqual(['routes: must list at least one route']);
    expect(problems(yamlWith({ routes: { upstream: 'web' } }))).toEqual(['routes: must be a list']);
    expect(problems(route({ match: { host: 'a.com' } }))).toEqual(['routes[0].upstream: is required']);
    expect(problems(route({ upstream: ['web'] }))).toEqual(['routes[0].upstream: must be the name of an upstream']);
    expect(problems(route({ upstream: 'web', priority: 1 }))).toEqual([
      'routes[0].priority: unknown key "priority"; expected one of: match, upstream, rate_limit, split, split_sticky, strip_prefix, add_prefix, headers, max_body_size',
    ]);
    expect(problems(route({ upstream: 'web', match: { path: '/x' } }))).toEqual([
      'routes[0].match.path: unknown key "path"; expected one of: host, path_prefix (did you mean "path_prefix"?)',
    ]);
  });

  it('rejects a route to an undefined upstream, suggesting the nearest', () => {
    expect(onlyRule(route({ upstream: 'wbe' }), 'routes[0].upstream')).toBe('unknown upstream "wbe"; defined: web (did you mean "web"?)');
    expect(onlyRule(route({ upstream: 'api' }), 'routes[0].upstream')).toBe('unknown upstream "api"; defined: web');
  });

  it('does not report routes when upstreams is missing altogether (one root cause, one issue)', () => {
    expect(problems('routes:\n  - upstream: web\n')).toEqual(['upstreams: is required']);
  });

  it('accepts a route to an upstream that has errors of its own', () => {
    expect(problems(yamlWith({ upstreams: { web: { connections: 0 } } }))).toEqual([
      'upstreams.web.connections: must be an integer between 1 and 10000',
    ]);
  });

  it.each(['example.com', 'localhost', '127.0.0.1', 'a-b.example.com', '*.example.com', '*.com', 'x_y.internal'])(
    'accepts host %s',
    (host) => {
      expect(valid(route({ match: { host }, upstream: 'web' })).routes[0]?.host).toBe(host);
    },
  );

  it.each([
    ['example.com:8080', 'must not include a port'],
    ['*.example.com:443', 'must not include a port'],
    ['*', `${HOST_RULE}; leave host out to match any host`],
    ['api.*.com', HOST_RULE],
    ['*example.com', HOST_RULE],
    ['exa mple.com', HOST_RULE],
    ['example..com', HOST_RULE],
    ['', HOST_RULE],
    [42, HOST_RULE],
  ])('rejects host %j', (host, rule) => {
    expect(onlyRule(route({ match: { host }, upstream: 'web' }), 'routes[0].match.host')).toBe(rule);
  });

  it.each(['/', '/api', '/api/v1/'])('accepts path_prefix %s', (path_prefix) => {
    expect(valid(route({ match: { path_prefix }, upstream: 'web' })).routes[0]?.path_prefix).toBe(path_prefix);
  });

  it.each([
    ['api', 'must start with "/"'],
    ['', 'must start with "/"'],
    [1, 'must start with "/"'],
    ['/a b', 'must be a path without spaces, "?" or "#"'],
    ['/a?b=1', 'must be a path without spaces, "?" or "#"'],
    ['/a#b', 'must be a path without spaces, "?" or "#"'],
  ])('rejects path_prefix %j', (path_prefix, rule) => {
    expect(onlyRule(route({ match: { path_prefix }, upstream: 'web' }), 'routes[0].match.path_prefix')).toBe(rule);
  });
});
