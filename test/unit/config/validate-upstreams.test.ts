/**
 * @module test/unit/config/validate-upstreams
 * Upstream rules: scheduler and hash_key, pool settings, and every server field.
 */
import { describe, expect, it } from 'vitest';
import { SCHEDULER_NAMES } from '../../../src/core/config.js';
import { located, onlyRule, problems, serverWith, upstreamWith, valid, web, yamlWith } from './fixtures.js';

const URL_RULE = 'must be an http:// or https:// URL like http://127.0.0.1:3001';

describe('upstreams block', () => {
  it('fills in upstream and server defaults', () => {
    expect(web(upstreamWith({}))).toEqual({
      name: 'web',
      scheduler: 'round-robin',
      hash_key: undefined,
      connections: 128,
      keep_alive: 4000,
      timeouts: { connect: 2000, response: 30_000, idle: 60_000 },
      slow_start: 0,
      health_check: undefined,
      outlier_detection: undefined,
      circuit_breaker: undefined,
      retries: undefined,
      sticky: undefined,
      servers: [{ name: 'web-1', url: 'http://127.0.0.1:3001', weight: 1, backup: false }],
    });
  });

  it('keeps upstreams in file order', () => {
    const text = yamlWith({ upstreams: { zeta: { servers: [{ url: 'http://a' }] }, alpha: { servers: [{ url: 'http://b' }] } } });
    expect([...valid(text).upstreams.keys()]).toEqual(['web', 'zeta', 'alpha']);
  });

  it('requires at least one upstream, each a mapping', () => {
    expect(problems('upstreams: {}\nroutes: [{ upstream: web }]\n')).toEqual(['upstreams: must define at least one upstream']);
    expect(problems(yamlWith({ upstreams: [] }))).toEqual(['upstreams: must be a mapping']);
    expect(problems(yamlWith({ upstreams: { web: null } }))).toEqual(['upstreams.web: must be a mapping']);
  });

  it('checks upstream names', () => {
    const text = yamlWith({ upstreams: { 'a.b_c-1': { servers: [{ url: 'http://a' }] }, 'bad name': { servers: [{ url: 'http://a' }] } } });
    expect(problems(text)).toEqual(['upstreams["bad name"]: must match /^[A-Za-z0-9_.-]+$/']);
  });

  it('rejects unknown upstream keys with a suggestion', () => {
    expect(onlyRule(upstreamWith({ schedular: 'random' }), 'upstreams.web.schedular')).toBe(
      'unknown key "schedular"; expected one of: scheduler, hash_key, connections, keep_alive, timeouts, slow_start, health_check, ' +
        'outlier_detection, circuit_breaker, retries, sticky, tls, proxy_protocol, servers (did you mean "scheduler"?)',
    );
    expect(onlyRule(upstreamWith({ health_checks: {} }), 'upstreams.web.health_checks')).toMatch(/\(did you mean "health_check"\?\)$/);
    expect(onlyRule(upstreamWith({ retires: {} }), 'upstreams.web.retires')).toMatch(/\(did you mean "retries"\?\)$/);
  });
});

describe('scheduler and hash_key', () => {
  it.each(SCHEDULER_NAMES)('accepts scheduler %s', (scheduler) => {
    expect(web(upstreamWith({ scheduler })).scheduler).toBe(scheduler);
  });

  it('rejects other schedulers, suggesting the nearest', () => {
    expect(onlyRule(upstreamWith({ scheduler: 'round_robin' }), 'upstreams.web.scheduler')).toBe(
      'must be one of: round-robin, random, weighted, least-connections, p2c, consistent-hash (did you mean "round-robin"?)',
    );
    expect(onlyRule(upstreamWith({ scheduler: 'fastest' }), 'upstreams.web.scheduler')).not.toMatch(/did you mean/);
  });

  it('defaults hash_key to ip for consistent-hash only', () => {
    expect(web(upstreamWith({ scheduler: 'consistent-hash' })).hash_key).toEqual({ kind: 'ip' });
    expect(web(upstreamWith({ scheduler: 'random' })).hash_key).toBeUndefined();
  });

  it.each([
    ['ip', { kind: 'ip' }],
    ['path', { kind: 'path' }],
    ['header:X-User-Id', { kind: 'header', name: 'x-user-id' }],
    ['cookie:SessionId', { kind: 'cookie', name: 'SessionId' }],
  ])('parses hash_key %s', (hash_key, expected) => {
    expect(web(upstreamWith({ scheduler: 'consistent-hash', hash_key })).hash_key).toEqual(expected);
  });

  it.each([
    ['host', 'must be one of: ip, path, header:NAME, cookie:NAME'],
    [1, 'must be one of: ip, path, header:NAME, cookie:NAME'],
    ['query:x', 'must be one of: ip, path, header:NAME, cookie:NAME'],
    ['header:', "header name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
    ['header:x user', "header name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
    ['cookie:a;b', "cookie name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
  ])('rejects hash_key %j', (hash_key, rule) => {
    expect(onlyRule(upstreamWith({ scheduler: 'consistent-hash', hash_key }), 'upstreams.web.hash_key')).toBe(rule);
  });

  it('rejects hash_key with any other scheduler written', () => {
    expect(onlyRule(upstreamWith({ scheduler: 'round-robin', hash_key: 'ip' }), 'upstreams.web.hash_key')).toBe(
      'is only allowed when scheduler is consistent-hash (this upstream uses round-robin)',
    );
    expect(onlyRule(upstreamWith({ scheduler: 'p2c', hash_key: 'path' }), 'upstreams.web.hash_key')).toMatch(/uses p2c\)$/);
  });

  it('takes a hash_key written without a scheduler as asking for consistent-hash (the default follows what was written)', () => {
    const config = valid(upstreamWith({ hash_key: 'header:x-user' }));
    expect(config.upstreams.get('web')).toMatchObject({ scheduler: 'consistent-hash', hash_key: { kind: 'header', name: 'x-user' } });
  });

  it('does not also flag hash_key when the scheduler itself is invalid', () => {
    expect(problems(upstreamWith({ scheduler: 'consistent_hash', hash_key: 'ip' }))).toEqual([
      expect.stringMatching(/^upstreams\.web\.scheduler: must be one of: .*did you mean "consistent-hash"/),
    ]);
  });
});

describe('pool settings', () => {
  it.each([1, 128, 10_000])('accepts connections: %d', (connections) => {
    expect(web(upstreamWith({ connections })).connections).toBe(connections);
  });

  it.each([0, 10_001, -1, 1.5, '10'])('rejects connections: %j', (connections) => {
    expect(onlyRule(upstreamWith({ connections }), 'upstreams.web.connections')).toBe('must be an integer between 1 and 10000');
  });

  it('validates keep_alive and timeouts as durations', () => {
    const u = web(upstreamWith({ keep_alive: '1ms', timeouts: { connect: '500ms', response: '1.5m', idle: '1h' } }));
    expect([u.keep_alive, u.timeouts]).toEqual([1, { connect: 500, response: 90_000, idle: 3_600_000 }]);
    expect(web(upstreamWith({ timeouts: { idle: '2m' } })).timeouts).toEqual({ connect: 2000, response: 30_000, idle: 120_000 });
    expect(onlyRule(upstreamWith({ keep_alive: 4 }), 'upstreams.web.keep_alive')).toBe('must be a duration like 500ms, 2s, 1m or 7d');
    expect(onlyRule(upstreamWith({ keep_alive: '0ms' }), 'upstreams.web.keep_alive')).toBe('must be longer than 0');
    for (const key of ['connect', 'response', 'idle']) {
      expect(onlyRule(upstreamWith({ timeouts: { [key]: '5' } }), `upstreams.web.timeouts.${key}`)).toBe(
        'must be a duration like 500ms, 2s, 1m or 7d',
      );
    }
    expect(onlyRule(upstreamWith({ timeouts: { read: '1s' } }), 'upstreams.web.timeouts.read')).toBe(
      'unknown key "read"; expected one of: connect, response, idle',
    );
  });
});

describe('servers', () => {
  it('requires a non-empty list of mappings with a url', () => {
    expect(problems(upstreamWith({ servers: [] }))).toEqual(['upstreams.web.servers: must list at least one server']);
    expect(problems(upstreamWith({ servers: 'http://a' }))).toEqual(['upstreams.web.servers: must be a list']);
    expect(problems(upstreamWith({ servers: ['http://a'] }))).toEqual(['upstreams.web.servers[0]: must be a mapping']);
    expect(problems(serverWith({ name: 'x' }))).toEqual(['upstreams.web.servers[0].url: is required']);
    expect(problems('upstreams:\n  web: { scheduler: random }\nroutes: [{ upstream: web }]\n')).toEqual([
      'upstreams.web.servers: is required',
    ]);
    expect(problems(serverWith({ url: 'http://a', port: 80 }))).toEqual([
      'upstreams.web.servers[0].port: unknown key "port"; expected one of: url, name, weight, backup',
    ]);
  });

  it.each([
    ['http://127.0.0.1:3001', 'http://127.0.0.1:3001'],
    ['http://127.0.0.1:3001/', 'http://127.0.0.1:3001'],
    ['HTTP://Backend.Example.COM', 'http://backend.example.com'],
    ['http://backend:80', 'http://backend'],
    ['https://backend:443/', 'https://backend'],
    ['https://backend:8443', 'https://backend:8443'],
    ['http://[::1]:3001', 'http://[::1]:3001'],
  ])('normalises url %s to its origin', (url, origin) => {
    expect(web(serverWith({ url })).servers[0]?.url).toBe(origin);
  });

  it.each([
    ['127.0.0.1:3001', URL_RULE],
    ['not a url', URL_RULE],
    [3001, URL_RULE],
    ['http://127.0.0.1:99999', URL_RULE],
    ['ftp://files', `${URL_RULE} (got "ftp:")`],
    ['unix:/tmp/sock', `${URL_RULE} (got "unix:")`],
    ['http://127.0.0.1:3001/api', 'must not have a path (got "/api"); routes choose paths'],
    ['http://127.0.0.1:3001?x=1', 'must not have a query string'],
    ['http://127.0.0.1:3001/?', 'must not have a query string'],
    ['http://127.0.0.1:3001#top', 'must not have a fragment'],
    ['http://user:pw@127.0.0.1:3001', 'must not contain a user name or password'],
    ['http://user@127.0.0.1:3001', 'must not contain a user name or password'],
  ])('rejects url %j', (url, rule) => {
    expect(onlyRule(serverWith({ url }), 'upstreams.web.servers[0].url')).toBe(rule);
  });

  it('names servers "<upstream>-<n>" by default', () => {
    const u = web(upstreamWith({ servers: [{ url: 'http://a' }, { url: 'http://b', name: 'b.2_x-y' }, { url: 'http://c' }] }));
    expect(u.servers.map((s) => s.name)).toEqual(['web-1', 'b.2_x-y', 'web-3']);
  });

  it.each(['has space', 'a/b', '', 7])('rejects server name %j', (name) => {
    expect(onlyRule(serverWith({ url: 'http://a', name }), 'upstreams.web.servers[0].name')).toBe('must match /^[A-Za-z0-9_.-]+$/');
  });

  it('rejects duplicate server names, explicit or defaulted, within one upstream only', () => {
    const twice = upstreamWith({ servers: [{ url: 'http://a', name: 'x' }, { url: 'http://b', name: 'x' }] });
    expect(problems(twice)).toEqual(['upstreams.web.servers[1].name: duplicate server name "x"; upstreams.web.servers[0] has the same name']);
    const clash = upstreamWith({ servers: [{ url: 'http://a', name: 'web-2' }, { url: 'http://b' }] });
    expect(problems(clash)).toEqual([
      'upstreams.web.servers[1]: duplicate server name "web-2" (the default for this server); upstreams.web.servers[0] has the same name',
    ]);
    const apart = yamlWith({ upstreams: { a: { servers: [{ url: 'http://a', name: 's' }] }, b: { servers: [{ url: 'http://b', name: 's' }] } } });
    expect(valid(apart).upstreams.size).toBe(3);
  });

  it.each([1, 1000])('accepts weight %d', (weight) => {
    expect(web(serverWith({ url: 'http://a', weight })).servers[0]?.weight).toBe(weight);
  });

  it.each([0, 1001, -1, 2.5, '3'])('rejects weight %j', (weight) => {
    expect(onlyRule(serverWith({ url: 'http://a', weight }), 'upstreams.web.servers[0].weight')).toBe(
      'must be an integer between 1 and 1000',
    );
  });
});

describe('backup servers', () => {
  const servers = (...list: Record<string, unknown>[]) => upstreamWith({ servers: list });

  it('reads backup, default false', () => {
    const u = web(servers({ url: 'http://a' }, { url: 'http://b', backup: true }, { url: 'http://c', backup: false }));
    expect(u.servers.map((s) => s.backup)).toEqual([false, true, false]);
  });

  it.each(['yes', 1, 'true', null])('rejects backup: %j', (backup) => {
    expect(onlyRule(serverWith({ url: 'http://a', backup }), 'upstreams.web.servers[0].backup')).toBe('must be true or false');
  });

  it('requires at least one server that is not a backup, pointing at the list', () => {
    const text = 'upstreams:\n  web:\n    servers:\n      - { url: "http://a", backup: true }\n      - { url: "http://b", backup: true }\nroutes: [{ upstream: web }]\n';
    expect(located(text)).toEqual([
      [4, 7, 'upstreams.web.servers', 'at least one server must not be a backup'],
    ]);
    expect(problems(serverWith({ url: 'http://a', backup: true }))).toEqual(['upstreams.web.servers: at least one server must not be a backup']);
  });

  it('counts a primary server even when another of its fields is invalid', () => {
    expect(problems(servers({ name: 'p' }, { url: 'http://b', backup: true }))).toEqual(['upstreams.web.servers[0].url: is required']);
    expect(problems(servers({ url: 'http://a', backup: 'no' }, { url: 'http://b', backup: true }))).toEqual([
      'upstreams.web.servers[0].backup: must be true or false',
    ]);
  });
});

describe('slow_start', () => {
  it.each([
    [undefined, 0],
    ['0s', 0],
    ['0ms', 0],
    ['0.0s', 0],
    ['1ms', 1],
    ['30s', 30_000],
    ['596h', 596 * 3_600_000],
  ])('reads %j as %d ms (0 = off)', (slow_start, ms) => {
    expect(web(upstreamWith(slow_start === undefined ? {} : { slow_start })).slow_start).toBe(ms);
  });

  it.each([
    [30, 'must be a duration like 500ms, 2s, 1m or 7d'],
    [0, 'must be a duration like 500ms, 2s, 1m or 7d'],
    ['30', 'must be a duration like 500ms, 2s, 1m or 7d'],
    ['-1s', 'must be a duration like 500ms, 2s, 1m or 7d'],
    ['0.4ms', 'must be 0s (off) or at least 1ms'],
    ['597h', 'must be at most 596h'],
  ])('rejects %j', (slow_start, rule) => {
    expect(onlyRule(upstreamWith({ slow_start }), 'upstreams.web.slow_start')).toBe(rule);
  });
});
