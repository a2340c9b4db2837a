/**
 * @module test/unit/config/validate-route-rules
 * The rule keys of a route: strip_prefix and add_prefix, with positioned errors.
 */
import { describe, expect, it } from 'vitest';
import { onlyRule, valid, yamlWith } from './fixtures.js';

const route = (r: Record<string, unknown>): string => yamlWith({ routes: [{ upstream: 'web', ...r }] });

describe('route path rewriting', () => {
  it('reads strip_prefix and add_prefix as written; absent: undefined', () => {
    expect(valid(route({ strip_prefix: '/api', add_prefix: '/v2/' })).routes[0]).toMatchObject({ strip_prefix: '/api', add_prefix: '/v2/' });
    const plain = valid(route({})).routes[0]!;
    expect(plain.strip_prefix).toBeUndefined();
    expect(plain.add_prefix).toBeUndefined();
  });

  it.each([
    ['api', 'must be a path starting with "/", like /api'],
    [5, 'must be a path starting with "/", like /api'],
    ['/', 'must name at least one segment ("/" alone changes nothing)'],
    ['/a//b', 'must not contain "//"'],
    ['//a', 'must not contain "//"'],
    ['/a/../b', 'must not contain "." or ".." segments'],
    ['/a/.', 'must not contain "." or ".." segments'],
    ['/a%2Fb', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a?b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a\\b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
  ])('refuses %j at its position', (value, rule) => {
    expect(onlyRule(route({ strip_prefix: value }), 'routes[0].strip_prefix')).toBe(rule);
    expect(onlyRule(route({ add_prefix: value }), 'routes[0].add_prefix')).toBe(rule);
  });
});
