/**
 * @module test/unit/config/validate-fleet
 * The top-level `fleet:` block: absent vs written, `redis` as a URL or a mapping, `node`
 * defaulting to the hostname, `prefix` to bulwark:, and a positioned error for each bad key.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/index.js';
import { located, MINIMAL, onlyRule, valid, yamlWith } from './fixtures.js';

const URL = 'redis://127.0.0.1:6379/0';

describe('fleet block', () => {
  it('is off (undefined) when absent', () => {
    expect(valid(MINIMAL).fleet).toBeUndefined();
  });

  it('takes redis as a URL, with node = the hostname and prefix = bulwark: by default', () => {
    expect(valid(yamlWith({ fleet: { redis: URL } })).fleet).toEqual({
      redis: { url: URL, username_env: undefined, password_env: undefined, tls: false },
      node: hostname(),
      prefix: 'bulwark:',
      timeout: 5,
      cookie_key_env: undefined,
    });
  });

  it('takes redis as a mapping; rediss:// means tls unless written', () => {
    const fleet = valid(yamlWith({ fleet: { redis: { url: 'rediss://r.internal:6380', username_env: 'R_USER', password_env: 'R_PASS' }, node: 'lb-a', prefix: 'bulwark:prod:', timeout: '20ms', cookie_key_env: 'LB_COOKIE_KEY' } })).fleet;
    expect(fleet).toEqual({ redis: { url: 'rediss://r.internal:6380', username_env: 'R_USER', password_env: 'R_PASS', tls: true }, node: 'lb-a', prefix: 'bulwark:prod:', timeout: 20, cookie_key_env: 'LB_COOKIE_KEY' });
  });

  it('requires redis, pointing at the block, or at its key when the block is empty', () => {
    expect(located(`${MINIMAL}fleet:\n  node: lb-a\n`)).toEqual([[8, 3, 'fleet.redis', 'is required']]);
    expect(located(`${MINIMAL}fleet:\n`)).toEqual([[7, 1, 'fleet.redis', 'is required']]);
  });

  it('reports each bad key where it is written', () => {
    expect(onlyRule(yamlWith({ fleet: { redis: 'http://127.0.0.1:6379' } }), 'fleet.redis')).toBe('must be a redis:// or rediss:// URL like redis://127.0.0.1:6379/0 (not http://)');
    expect(onlyRule(yamlWith({ fleet: { redis: 'redis://:secret@127.0.0.1' } }), 'fleet.redis')).toMatch(/without a password \(name an environment variable in redis.password_env/);
    expect(onlyRule(yamlWith({ fleet: { redis: 'redis://127.0.0.1/x' } }), 'fleet.redis')).toMatch(/the path is a database number/);
    expect(onlyRule(yamlWith({ fleet: { redis: { url: URL, password_env: 'no-such name' } } }), 'fleet.redis.password_env')).toMatch(/environment variable name/);
    expect(onlyRule(yamlWith({ fleet: { redis: { url: URL, tls: 'yes' } } }), 'fleet.redis.tls')).toBe('must be true or false');
    expect(onlyRule(yamlWith({ fleet: { redis: URL, node: 'lb a' } }), 'fleet.node')).toMatch(/like lb-a$/);
    expect(onlyRule(yamlWith({ fleet: { redis: URL, prefix: '' } }), 'fleet.prefix')).toMatch(/non-empty key prefix/);
    expect(onlyRule(yamlWith({ fleet: { redis: URL, leader: true } }), 'fleet.leader')).toMatch(/unknown key/);
    expect(onlyRule(yamlWith({ fleet: { redis: URL, timeout: '2s' } }), 'fleet.timeout')).toBe('must be at most 1s');
    expect(onlyRule(yamlWith({ fleet: { redis: URL, timeout: 'soon' } }), 'fleet.timeout')).toMatch(/must be a duration/);
    expect(onlyRule(yamlWith({ fleet: { redis: URL, cookie_key_env: 'my key' } }), 'fleet.cookie_key_env')).toMatch(/environment variable name/);
  });
});

describe('fleet on reload', () => {
  it('needs a restart: a reload that adds, changes or drops it keeps the running fleet', () => {
    const alone = valid(MINIMAL);
    const inFleet = valid(yamlWith({ fleet: { redis: URL, node: 'lb-a' } }));
    const renamed = valid(yamlWith({ fleet: { redis: URL, node: 'lb-b' } }));
    for (const [running, next] of [[alone, inFleet], [inFleet, renamed], [inFleet, alone]] as const) {
      const p = diffConfig(running, next);
      expect(p.restartRequired).toEqual(['fleet']);
      expect(p.config.fleet).toEqual(running.fleet);
    }
    expect(diffConfig(inFleet, valid(yamlWith({ fleet: { redis: URL, node: 'lb-a' } }))).restartRequired).toEqual([]);
  });
});
