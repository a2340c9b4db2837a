/**
 * @module test/unit/config/validate-route-split
 * A route's `split` and `split_sticky`: exactly one of upstream and split, defined and
 * distinct upstreams, positive integer weights, cookie:NAME or header:NAME; positioned errors.
 */
import { describe, expect, it } from 'vitest';
import { located, onlyRule, problems, valid, yamlWith } from './fixtures.js';

const two = { web: { servers: [{ url: 'http://127.0.0.1:3001' }] }, canary: { servers: [{ url: 'http://127.0.0.1:3002' }] } };
const route = (r: Record<string, unknown>): string => yamlWith({ upstreams: two, routes: [r] });
const split = [
  { upstream: 'web', weight: 90 },
  { upstream: 'canary', weight: 10 },
];

describe('route split', () => {
  it('reads the split in order, with split_sticky', () => {
    expect(valid(route({ split, split_sticky: 'cookie:Canary' })).routes[0]).toMatchObject({ upstream: undefined, split, split_sticky: { kind: 'cookie', name: 'Canary' } });
    expect(valid(route({ split, split_sticky: 'header:X-User' })).routes[0]!.split_sticky).toEqual({ kind: 'header', name: 'x-user' });
    expect(valid(route({ split })).routes[0]!.split_sticky).toBeUndefined();
    expect(valid(route({ upstream: 'web' })).routes[0]).toMatchObject({ upstream: 'web', split: undefined, split_sticky: undefined });
  });

  it.each([
    [{ upstream: 'web', split }, 'routes[0].upstream', 'a route has either upstream or split, not both'],
    [{ upstream: 'web', split_sticky: 'cookie:c' }, 'routes[0].split_sticky', 'only applies with split'],
    [{ split: [] }, 'routes[0].split', 'must list at least one upstream'],
    [{ split: { upstream: 'web', weight: 1 } }, 'routes[0].split', 'must be a list'],
    [{ split: [{ upstream: 'wbe', weight: 1 }] }, 'routes[0].split[0].upstream', 'unknown upstream "wbe"; defined: web, canary (did you mean "web"?)'],
    [{ split: [{ upstream: 'web' }] }, 'routes[0].split[0].weight', 'is required'],
    [{ split: [{ upstream: 'web', weight: 0 }] }, 'routes[0].split[0].weight', 'must be an integer between 1 and 1000000'],
    [{ split: [{ upstream: 'web', weight: 2.5 }] }, 'routes[0].split[0].weight', 'must be an integer between 1 and 1000000'],
    [{ split: [{ upstream: 'web', weight: '90%' }] }, 'routes[0].split[0].weight', 'must be an integer between 1 and 1000000'],
    [{ split: [{ upstream: 'web', weight: 1, share: 2 }] }, 'routes[0].split[0].share', 'unknown key "share"; expected one of: upstream, weight'],
    [{ split: [{ upstream: 'web', weight: 1 }, { upstream: 'web', weight: 2 }] }, 'routes[0].split[1].upstream', 'upstream "web" is already in this split; list each once'],
    [{ split, split_sticky: 'ip' }, 'routes[0].split_sticky', 'must be cookie:NAME or header:NAME'],
    [{ split, split_sticky: 'cookie:a b' }, 'routes[0].split_sticky', "cookie name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
  ])('refuses %j at its position', (r, path, rule) => {
    expect(onlyRule(route(r), path)).toBe(rule);
  });

  it('still requires upstream when neither is written', () => {
    expect(problems(route({ match: { host: 'a.com' } }))).toEqual(['routes[0].upstream: is required']);
  });
});

describe('route key positions', () => {
  it('points each bad route key at its line and column, all in one pass', () => {
    const text = `upstreams:
  v1: { servers: [{ url: "http://127.0.0.1:3001" }] }
routes:
  - match: { path_prefix: /api/ }
    strip_prefix: api
    headers:
      request: { set: { X-Client: "\${clientip}" } }
      response: { remove: [Connection] }
    max_body_size: lots
    split:
      - { upstream: v1, weight: 0 }
      - { upstream: v3, weight: 1 }
    split_sticky: "ip:x"
`;
    expect(located(text)).toEqual([
      [5, 19, 'routes[0].strip_prefix', 'must be a path starting with "/", like /api'],
      [7, 35, 'routes[0].headers.request.set.X-Client', 'unknown variable "${clientip}"; known: ${client_ip}, ${request_id} (did you mean "client_ip"?)'],
      [8, 28, 'routes[0].headers.response.remove[0]', '"connection" cannot be set or removed: it is a hop-by-hop field (RFC 9110 §7.6.1): it describes one connection and never crosses bulwark'],
      [9, 20, 'routes[0].max_body_size', 'must be a size like 512b, 16kb or 10mb'],
      [11, 33, 'routes[0].split[0].weight', 'must be an integer between 1 and 1000000'],
      [12, 21, 'routes[0].split[1].upstream', 'unknown upstream "v3"; defined: v1 (did you mean "v1"?)'],
      [13, 19, 'routes[0].split_sticky', 'must be cookie:NAME or header:NAME'],
    ]);
  });
});
