/**
 * @module test/unit/config/validate
 * Top-level rules: defaults, listen/admin/log/front values and the shape of the document.
 */
import { dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_FRONT_TIMEOUTS,
  DEFAULT_LISTEN,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
} from '../../../src/config/index.js';
import { LOG_LEVELS, type BulwarkConfig } from '../../../src/core/config.js';
import { FILE, MINIMAL, onlyRule, problems, valid, yamlWith } from './fixtures.js';

const DURATION = 'must be a duration like 500ms, 2s, 1m or 7d';
const SIZE = 'must be a size like 512b, 16kb or 10mb';
const addresses = (c: BulwarkConfig): unknown[] => c.listen.map((l) => l.address);

describe('defaults', () => {
  it('fills in every default for a minimal config', () => {
    const c = valid(MINIMAL);
    expect(addresses(c)).toEqual([DEFAULT_LISTEN]);
    expect(addresses(c)).toEqual([{ host: '0.0.0.0', port: 8080 }]);
    expect(c.listen[0]).toEqual({ address: DEFAULT_LISTEN, tls: undefined, http2: false, redirect_https: undefined, hsts: undefined });
    expect(c.admin.listen).toEqual(DEFAULT_ADMIN_LISTEN);
    expect(c.admin.listen).toEqual({ host: '127.0.0.1', port: 9901 });
    expect(c.log).toEqual({ level: 'info', access: true, access_format: 'json', access_file: undefined });
    expect(c.front).toEqual({
      timeouts: { headers: 10_000, request: 60_000, keep_alive: 5_000, drain: 10_000, send: 60_000 },
      max_header_size: 16 * 1024,
      max_headers: 100,
      underscores_in_headers: false,
      max_body_size: 10 * 1024 * 1024,
      buffer_requests: true,
      request_buffer_size: 64 * 1024,
      buffer_responses: true,
      response_buffer_size: 64 * 1024,
      max_temp_file_size: 1024 * 1024 * 1024,
      temp_path: tmpdir(),
      abort_on_close: false,
      h2_max_concurrent_streams: 100,
      h2_max_header_list_size: 32 * 1024,
      h2_max_resets_per_second: 100,
      h2_max_control_frames_per_second: 100,
    });
    expect(c.front.timeouts).toEqual(DEFAULT_FRONT_TIMEOUTS);
    expect([c.front.max_header_size, c.front.max_body_size]).toEqual([DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_BODY_SIZE]);
  });

  it('treats an empty block (`log:` with nothing under it) as all defaults', () => {
    const c = valid(`${MINIMAL}log:\nadmin:\nfront:\n  timeouts:\n`);
    expect(c.log).toEqual({ level: 'info', access: true, access_format: 'json', access_file: undefined });
    expect(c.front.timeouts).toEqual(DEFAULT_FRONT_TIMEOUTS);
  });

  it('keeps values given next to defaulted siblings', () => {
    const c = valid(yamlWith({ front: { timeouts: { drain: '30s' } }, log: { access: false } }));
    expect(c.front.timeouts).toEqual({ ...DEFAULT_FRONT_TIMEOUTS, drain: 30_000 });
    expect(c.log).toEqual({ level: 'info', access: false, access_format: 'json', access_file: undefined });
  });
});

describe('listen', () => {
  it('accepts one address or a list, in every form', () => {
    expect(addresses(valid(yamlWith({ listen: 9000 })))).toEqual([{ host: '0.0.0.0', port: 9000 }]);
    expect(addresses(valid(yamlWith({ listen: ['127.0.0.1:80', '[::1]:80', ':81', 82] })))).toEqual([
      { host: '127.0.0.1', port: 80 },
      { host: '::1', port: 80 },
      { host: '0.0.0.0', port: 81 },
      { host: '0.0.0.0', port: 82 },
    ]);
  });

  it.each([0, 65535])('accepts port %d', (port) => {
    expect(addresses(valid(yamlWith({ listen: port })))).toEqual([{ host: '0.0.0.0', port }]);
  });

  it.each([-1, 65536])('rejects port %d', (port) => {
    expect(onlyRule(yamlWith({ listen: port }), 'listen')).toBe('port must be an integer between 0 and 65535');
  });

  it('rejects an empty list and reports bad items by index', () => {
    expect(onlyRule(yamlWith({ listen: [] }), 'listen')).toBe('must list at least one address');
    expect(onlyRule(yamlWith({ listen: [80, 'nope'] }), 'listen[1]')).toMatch(/^must be an address like/);
    expect(onlyRule(yamlWith({ listen: true }), 'listen')).toMatch(/^must be an address like/);
  });

  it('rejects duplicate and overlapping addresses', () => {
    expect(problems(yamlWith({ listen: ['0.0.0.0:8080', ':8080'] }))).toEqual([
      'listen[1]: duplicate address 0.0.0.0:8080: already used by listen[0]',
    ]);
    expect(problems(yamlWith({ listen: ['0.0.0.0:80', '127.0.0.1:80'] }))).toEqual([
      'listen[1]: 127.0.0.1:80 conflicts with listen[0] (0.0.0.0:80): same port on an overlapping host',
    ]);
    expect(problems(yamlWith({ listen: 9901, admin: { listen: '127.0.0.1:9901' } }))).toEqual([
      'admin.listen: 127.0.0.1:9901 conflicts with listen (0.0.0.0:9901): same port on an overlapping host',
    ]);
  });

  it('reports a default admin address that collides with listen', () => {
    expect(problems(yamlWith({ listen: '127.0.0.1:9901' }))).toEqual([
      'admin.listen: the default 127.0.0.1:9901 is already taken by listen (127.0.0.1:9901); write admin.listen with another address',
    ]);
  });

  it('allows several ephemeral ports (port 0) and the same port on different hosts', () => {
    expect(valid(yamlWith({ listen: [0, 0], admin: { listen: '127.0.0.1:0' } })).listen).toHaveLength(2);
    expect(valid(yamlWith({ listen: ['127.0.0.1:80', '127.0.0.2:80', '[::1]:80'] })).listen).toHaveLength(3);
  });
});

describe('admin and log', () => {
  it('reads admin.listen as a single address', () => {
    expect(valid(yamlWith({ admin: { listen: ':9000', token_env: 'T' } })).admin.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(onlyRule(yamlWith({ admin: { listen: [9000] } }), 'admin.listen')).toMatch(/^must be an address like/);
    expect(onlyRule(yamlWith({ admin: { port: 9000 } }), 'admin.port')).toBe('unknown key "port"; expected one of: listen, token_env');
  });

  it('requires admin.token_env off loopback, and checks its form', () => {
    expect(onlyRule(yamlWith({ admin: { listen: '0.0.0.0:9901' } }), 'admin.token_env')).toBe(
      'is required when admin.listen is not a loopback address (0.0.0.0:9901)',
    );
    expect(valid(yamlWith({ admin: { listen: '127.0.0.2:9901' } })).admin.token_env).toBeUndefined();
    expect(valid(yamlWith({ admin: { listen: '[::1]:9901' } })).admin.token_env).toBeUndefined();
    expect(valid(yamlWith({ admin: { listen: '10.0.0.1:9901', token_env: 'BULWARK_ADMIN_TOKEN' } })).admin.token_env).toBe('BULWARK_ADMIN_TOKEN');
    expect(onlyRule(yamlWith({ admin: { token_env: 'not a name' } }), 'admin.token_env')).toMatch(/^must be an environment variable name/);
  });

  it.each(LOG_LEVELS)('accepts log level %s', (level) => {
    expect(valid(yamlWith({ log: { level } })).log.level).toBe(level);
  });

  it('rejects other log levels, suggesting the nearest', () => {
    expect(onlyRule(yamlWith({ log: { level: 'warning' } }), 'log.level')).toBe(
      'must be one of: fatal, error, warn, info, debug, trace, silent (did you mean "warn"? "warning" is nginx\'s name)',
    );
    expect(onlyRule(yamlWith({ log: { level: 'verbose' } }), 'log.level')).toBe('must be one of: fatal, error, warn, info, debug, trace, silent');
    expect(onlyRule(yamlWith({ log: { level: 'inof' } }), 'log.level')).toMatch(/\(did you mean "info"\?\)$/);
    expect(onlyRule(yamlWith({ log: { level: 'INFO' } }), 'log.level')).toMatch(/\(did you mean "info"\?\)$/);
  });

  it.each([true, false])('accepts access: %s', (access) => {
    expect(valid(yamlWith({ log: { access } })).log.access).toBe(access);
  });

  it.each(['yes', 'on', 1, 'true'])('rejects access: %j', (access) => {
    expect(onlyRule(yamlWith({ log: { access } }), 'log.access')).toBe('must be true or false');
  });

  it.each(['json', 'combined'])('accepts access_format: %s', (access_format) => {
    expect(valid(yamlWith({ log: { access_format } })).log.access_format).toBe(access_format);
  });

  it('rejects other access formats, suggesting the nearest', () => {
    expect(onlyRule(yamlWith({ log: { access_format: 'combine' } }), 'log.access_format')).toMatch(/^must be one of: json, combined \(did you mean "combined"\?\)$/);
    expect(onlyRule(yamlWith({ log: { access_format: 'clf' } }), 'log.access_format')).toBe('must be one of: json, combined');
  });

  it('makes access_file absolute against the config file\'s folder', () => {
    expect(valid(yamlWith({ log: { access_file: 'logs/access.log' } })).log.access_file).toBe(resolve(dirname(resolve(FILE)), 'logs/access.log'));
    expect(valid(yamlWith({ log: { access_file: '/var/log/bulwark/access.log' } })).log.access_file).toBe('/var/log/bulwark/access.log');
  });

  it.each([['~/access.log', /^must not start with ~/], ['', /./], [12, /./]])('rejects access_file: %j', (access_file, rule) => {
    expect(onlyRule(yamlWith({ log: { access_file } }), 'log.access_file')).toMatch(rule);
  });
});

describe('front', () => {
  it.each(['headers', 'request', 'keep_alive', 'drain', 'send'])('validates front.timeouts.%s as a duration', (key) => {
    const at = (v: unknown) => yamlWith({ front: { timeouts: { headers: '1ms', request: '596h', [key]: v } } });
    expect(valid(at('1ms')).front.timeouts[key as 'drain']).toBe(1);
    expect(valid(at('1.5s')).front.timeouts[key as 'drain']).toBe(1500);
    expect(valid(at('596h')).front.timeouts[key as 'drain']).toBe(596 * 3_600_000);
    const path = `front.timeouts.${key}`;
    expect(onlyRule(at(10), path)).toBe(DURATION);
    expect(onlyRule(at('10'), path)).toBe(DURATION);
    expect(onlyRule(at('10 s'), path)).toBe(DURATION);
    expect(onlyRule(at('-1s'), path)).toBe(DURATION);
    expect(onlyRule(at('0s'), path)).toBe('must be longer than 0');
    expect(onlyRule(at('0.1ms'), path)).toBe('must be longer than 0');
    expect(onlyRule(at('597h'), path)).toBe('must be at most 596h');
  });

  it('requires headers <= request, as Node.js does', () => {
    expect(valid(yamlWith({ front: { timeouts: { headers: '5s', request: '5s' } } })).front.timeouts.headers).toBe(5000);
    expect(problems(yamlWith({ front: { timeouts: { headers: '61s', request: '1m' } } }))).toEqual([
      'front.timeouts.headers: must not be longer than front.timeouts.request (1m)',
    ]);
    // One side alone: the other's default adapts (see adapting-defaults.test.ts).
    expect(valid(yamlWith({ front: { timeouts: { request: '5s' } } })).front.timeouts).toMatchObject({ headers: 5000, request: 5000 });
  });

  it('validates max_header_size: a size of at least 1kb', () => {
    const at = (v: unknown) => yamlWith({ front: { max_header_size: v } });
    expect(valid(at(1024)).front.max_header_size).toBe(1024);
    expect(valid(at('1kb')).front.max_header_size).toBe(1024);
    expect(valid(at('64KB')).front.max_header_size).toBe(65_536);
    expect(onlyRule(at(1023), 'front.max_header_size')).toBe('must be at least 1kb');
    expect(onlyRule(at('1023b'), 'front.max_header_size')).toBe('must be at least 1kb');
    expect(onlyRule(at('16k'), 'front.max_header_size')).toBe(SIZE);
  });

  it('validates max_headers, underscores_in_headers and the response buffering keys', () => {
    const at = (front: Record<string, unknown>) => yamlWith({ front });
    expect(valid(at({ max_headers: 1 })).front.max_headers).toBe(1);
    expect(valid(at({ max_headers: 10_000 })).front.max_headers).toBe(10_000);
    expect(onlyRule(at({ max_headers: 0 }), 'front.max_headers')).toBe('must be an integer between 1 and 10000');
    expect(onlyRule(at({ max_headers: '100' }), 'front.max_headers')).toBe('must be an integer between 1 and 10000');
    expect(valid(at({ underscores_in_headers: true })).front.underscores_in_headers).toBe(true);
    expect(onlyRule(at({ underscores_in_headers: 'on' }), 'front.underscores_in_headers')).toBe('must be true or false');
    expect(valid(at({ buffer_responses: false })).front.buffer_responses).toBe(false);
    expect(valid(at({ buffer_requests: false, request_buffer_size: '1mb' })).front).toMatchObject({ buffer_requests: false, request_buffer_size: 1024 * 1024 });
    expect(onlyRule(at({ buffer_requests: 'off' }), 'front.buffer_requests')).toBe('must be true or false');
    expect(onlyRule(at({ request_buffer_size: '1 kb' }), 'front.request_buffer_size')).toBe(SIZE);
    expect(onlyRule(at({ buffer_responses: 1 }), 'front.buffer_responses')).toBe('must be true or false');
    expect(valid(at({ response_buffer_size: '0b', max_temp_file_size: 0 })).front).toMatchObject({ response_buffer_size: 0, max_temp_file_size: 0 });
    expect(valid(at({ max_temp_file_size: '2gb' })).front.max_temp_file_size).toBe(2 * 1024 ** 3);
    expect(onlyRule(at({ max_temp_file_size: '1 tb' }), 'front.max_temp_file_size')).toBe(SIZE);
    expect(onlyRule(at({ response_buffer_size: -1 }), 'front.response_buffer_size')).toBe(SIZE);
    expect(valid(at({ temp_path: '/var/tmp/bw' })).front.temp_path).toBe('/var/tmp/bw');
    expect(onlyRule(at({ temp_path: 'tmp/bw' }), 'front.temp_path')).toBe('must be an absolute path like /var/tmp/bulwark');
    expect(onlyRule(at({ temp_path: '' }), 'front.temp_path')).toBe('must not be empty');
    expect(valid(at({ abort_on_close: true })).front.abort_on_close).toBe(true);
    expect(onlyRule(at({ abort_on_close: 'yes' }), 'front.abort_on_close')).toBe('must be true or false');
    expect(valid(at({ h2_max_concurrent_streams: 1, h2_max_header_list_size: '64kb' })).front).toMatchObject({ h2_max_concurrent_streams: 1, h2_max_header_list_size: 64 * 1024 });
    expect(onlyRule(at({ h2_max_concurrent_streams: 0 }), 'front.h2_max_concurrent_streams')).toBe('must be an integer between 1 and 10000');
    expect(onlyRule(at({ h2_max_header_list_size: '512b' }), 'front.h2_max_header_list_size')).toBe('must be at least 1kb');
    expect(valid(at({ h2_max_resets_per_second: 5, h2_max_control_frames_per_second: 1_000_000 })).front).toMatchObject({ h2_max_resets_per_second: 5, h2_max_control_frames_per_second: 1_000_000 });
    expect(onlyRule(at({ h2_max_resets_per_second: 0 }), 'front.h2_max_resets_per_second')).toBe('must be an integer between 1 and 1000000');
    expect(onlyRule(at({ h2_max_control_frames_per_second: 1.5 }), 'front.h2_max_control_frames_per_second')).toBe('must be an integer between 1 and 1000000');
  });

  it('validates max_body_size: a size of at least 0', () => {
    const at = (v: unknown) => yamlWith({ front: { max_body_size: v } });
    expect(valid(at(0)).front.max_body_size).toBe(0);
    expect(valid(at('0b')).front.max_body_size).toBe(0);
    expect(valid(at('1gb')).front.max_body_size).toBe(1024 ** 3);
    expect(valid(at('1.5mb')).front.max_body_size).toBe(1.5 * 1024 ** 2);
    expect(onlyRule(at(-1), 'front.max_body_size')).toBe(SIZE);
    expect(onlyRule(at(1.5), 'front.max_body_size')).toBe(SIZE);
    expect(onlyRule(at('1tb'), 'front.max_body_size')).toBe(SIZE);
    expect(onlyRule(at('10 mb'), 'front.max_body_size')).toBe(SIZE);
  });
});

describe('document shape', () => {
  it('rejects unknown keys at every level, suggesting the closest', () => {
    expect(onlyRule(`${MINIMAL}lsten: 80\n`, 'lsten')).toBe(
      'unknown key "lsten"; expected one of: listen, admin, log, metrics, front, upstreams, routes, backup, alerts, workers, trusted_proxies, fleet (did you mean "listen"?)',
    );
    expect(onlyRule(yamlWith({ front: { timeout: {} } }), 'front.timeout')).toMatch(/did you mean "timeouts"/);
    expect(onlyRule(yamlWith({ front: { timeouts: { keepalive: '1s' } } }), 'front.timeouts.keepalive')).toMatch(
      /did you mean "keep_alive"/,
    );
    expect(onlyRule(`${MINIMAL}colour: blue\n`, 'colour')).not.toMatch(/did you mean/);
  });

  it('rejects duplicate keys, naming the first', () => {
    expect(problems(`${MINIMAL}log:\n  level: info\n  level: warn\n`)).toEqual(['log.level: duplicate key "level" (first at line 8)']);
  });

  it('rejects non-string keys and non-mapping blocks', () => {
    expect(problems(`${MINIMAL}log:\n  [a]: 1\n`)).toEqual(['log: keys must be plain strings']);
    expect(problems(`${MINIMAL}log: verbose\n`)).toEqual(['log: must be a mapping']);
    expect(problems(`${MINIMAL}front: [1]\n`)).toEqual(['front: must be a mapping']);
  });

  it('requires upstreams and routes, pointing at the top mapping', () => {
    expect(problems('log: { level: info }\n')).toEqual(['upstreams: is required', 'routes: is required']);
    expect(problems('')).toEqual(['upstreams: is required', 'routes: is required']);
  });

  it('rejects a file that is not a mapping, without follow-on issues', () => {
    expect(problems('- a\n- b\n')).toEqual(['the file must be a mapping of keys to values']);
  });

  it('follows aliases', () => {
    const text = `${MINIMAL}front:\n  timeouts: { headers: &t 3s, request: *t }\n`;
    expect(valid(text).front.timeouts).toMatchObject({ headers: 3000, request: 3000 });
  });
});
