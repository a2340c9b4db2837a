/**
 * @module test/unit/config/validate-sticky
 * The upstream `sticky:` block: absent vs empty, each mode and what it makes of `name`,
 * every key at and just past its limits, and where the issues point.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STICKY } from '../../../src/config/index.js';
import { STICKY_MODES } from '../../../src/core/config.js';
import type { StickyConfig } from '../../../src/core/config.js';
import { located, onlyRule, problems, upstreamWith, web } from './fixtures.js';

const read = (sticky: unknown) => web(upstreamWith({ sticky })).sticky as StickyConfig;
const ruleOf = (sticky: Record<string, unknown>, key: string) => onlyRule(upstreamWith({ sticky }), `upstreams.web.sticky.${key}`);
const TOKEN = "must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)";

describe('sticky block', () => {
  it('is off (undefined) when absent', () => {
    expect(web(upstreamWith({})).sticky).toBeUndefined();
  });

  it('is cookie mode with every default when empty', () => {
    const defaults = { mode: 'cookie', name: 'bulwark_sid', ttl: 1_800_000, max_entries: 100_000 };
    expect(read({})).toEqual(defaults);
    expect(read(null)).toEqual(defaults);
    expect(DEFAULT_STICKY).toEqual(defaults);
  });

  it('rejects a non-mapping and unknown keys, suggesting the nearest', () => {
    expect(problems(upstreamWith({ sticky: 'cookie' }))).toEqual(['upstreams.web.sticky: must be a mapping']);
    expect(ruleOf({ ttll: '1m' }, 'ttll')).toBe('unknown key "ttll"; expected one of: mode, name, ttl, max_entries (did you mean "ttl"?)');
    // Incremental snapshots are a backup notion, not a sticky (or any) key.
    expect(ruleOf({ full_every: 1 }, 'full_every')).toMatch(/^unknown key "full_every"/);
  });

  it('suggests the nearest mode', () => {
    expect(ruleOf({ mode: 'cookies' }, 'mode')).toBe('must be one of: cookie, learn, header, ip (did you mean "cookie"?)');
    expect(ruleOf({ mode: 1 }, 'mode')).toBe('must be one of: cookie, learn, header, ip');
  });
});

describe('mode and name', () => {
  it('cookie: name is the cookie bulwark inserts, bulwark_sid by default, case kept', () => {
    expect(read({ mode: 'cookie' }).name).toBe('bulwark_sid');
    expect(read({ mode: 'cookie', name: 'SRV_id' }).name).toBe('SRV_id');
  });

  it('learn: name is the application cookie and is required', () => {
    expect(read({ mode: 'learn', name: 'JSESSIONID' })).toMatchObject({ mode: 'learn', name: 'JSESSIONID' });
    expect(ruleOf({ mode: 'learn' }, 'name')).toBe("is required when mode is learn: the application's session cookie to learn, e.g. JSESSIONID");
  });

  it('header: name is the request header, lower-cased, and is required', () => {
    expect(read({ mode: 'header', name: 'X-Session-Id' })).toMatchObject({ mode: 'header', name: 'x-session-id' });
    expect(ruleOf({ mode: 'header' }, 'name')).toBe('is required when mode is header: the request header that carries the session key');
  });

  it('ip: takes no name', () => {
    expect(read({ mode: 'ip' })).toEqual({ mode: 'ip', name: undefined, ttl: 1_800_000, max_entries: 100_000 });
    expect(ruleOf({ mode: 'ip', name: 'x' }, 'name')).toBe(
      'is only allowed when mode is cookie, learn or header (with ip the client address is the key)',
    );
  });

  it.each(STICKY_MODES.filter((m) => m !== 'ip'))('%s: name must be an HTTP token', (mode) => {
    for (const bad of ['a b', 'a;b', 'a=b', '', 'é', 5, true]) expect(ruleOf({ mode, name: bad }, 'name')).toBe(TOKEN);
    expect(read({ mode, name: "a!#$%&'*+-.^_`|~9" }).name).toBeDefined();
  });

  it('with an invalid mode, reports the mode only (a bad name still counts)', () => {
    expect(problems(upstreamWith({ sticky: { mode: 'lern' } }))).toEqual([
      'upstreams.web.sticky.mode: must be one of: cookie, learn, header, ip (did you mean "learn"?)',
    ]);
    expect(problems(upstreamWith({ sticky: { mode: 'x', name: 'a b' } }))).toHaveLength(2);
  });
});

describe('ttl and max_entries', () => {
  it('ttl is a duration longer than 0, at most 596h; days are accepted', () => {
    expect(read({ ttl: '1ms' }).ttl).toBe(1);
    expect(read({ ttl: '1d' }).ttl).toBe(86_400_000);
    expect(read({ ttl: '596h' }).ttl).toBe(596 * 3_600_000);
    expect(ruleOf({ ttl: '0s' }, 'ttl')).toBe('must be longer than 0');
    expect(ruleOf({ ttl: '25d' }, 'ttl')).toBe('must be at most 596h');
    expect(ruleOf({ ttl: 30 }, 'ttl')).toBe('must be a duration like 500ms, 2s, 1m or 7d');
  });

  it('max_entries is an integer 1..10000000', () => {
    expect(read({ max_entries: 1 }).max_entries).toBe(1);
    expect(read({ max_entries: 10_000_000 }).max_entries).toBe(10_000_000);
    for (const bad of [0, 10_000_001, 1.5, '100', -1]) expect(ruleOf({ max_entries: bad }, 'max_entries')).toBe('must be an integer between 1 and 10000000');
  });
});

it('collects every sticky issue in one pass, at exact positions', () => {
  const text = `upstreams:
  web:
    sticky:
      mode: header
      ttl: 0s
      max_entries: 0
      maxentries: 5
    servers: [{ url: "http://a" }]
  api:
    sticky: { mode: ip, name: x }
    servers: [{ url: "http://b" }]
routes: [{ upstream: web }]
`;
  expect(located(text)).toEqual([
    [4, 7, 'upstreams.web.sticky.name', 'is required when mode is header: the request header that carries the session key'],
    [5, 12, 'upstreams.web.sticky.ttl', 'must be longer than 0'],
    [6, 20, 'upstreams.web.sticky.max_entries', 'must be an integer between 1 and 10000000'],
    [7, 7, 'upstreams.web.sticky.maxentries', 'unknown key "maxentries"; expected one of: mode, name, ttl, max_entries (did you mean "max_entries"?)'],
    [10, 25, 'upstreams.api.sticky.name', 'is only allowed when mode is cookie, learn or header (with ip the client address is the key)'],
  ]);
});
