/**
 * @module test/unit/config/load
 * The file-level entry points and the shipped conf/ files: the examples must validate,
 * every conf/invalid example must fail with the error it names, unreadable files are one issue.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ABORT_ON_CLOSE,
  DEFAULT_ACCESS_FORMAT,
  DEFAULT_ACCESS_LOG,
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_BUFFER_REQUESTS,
  DEFAULT_BUFFER_RESPONSES,
  DEFAULT_REQUEST_BUFFER_SIZE,
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_TEMP_FILE_SIZE,
  DEFAULT_RESPONSE_BUFFER_SIZE,
  DEFAULT_UNDERSCORES_IN_HEADERS,
  DEFAULT_BACKUP,
  DEFAULT_BACKUP_SETTINGS,
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_CONNECTIONS,
  DEFAULT_FRONT_TIMEOUTS,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_LISTEN,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_PER_SERVER,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_OUTLIER_DETECTION,
  DEFAULT_RETRIES,
  DEFAULT_SCHEDULER,
  DEFAULT_SLOW_START,
  DEFAULT_STICKY,
  DEFAULT_UPSTREAM_KEEP_ALIVE,
  DEFAULT_UPSTREAM_TIMEOUTS,
  loadConfigFile,
  parseConfig,
  validateConfigFile,
} from '../../../src/config/index.js';
import { ConfigError, ErrorCodes, formatConfigIssue } from '../../../src/core/errors.js';
import { MINIMAL } from './fixtures.js';

const CONF = join(import.meta.dirname, '../../../conf');
const INVALID = join(CONF, 'invalid');

/**
 * The text with its commented-out example blocks switched on: a line "# health_check:" (or
 * outlier_detection, circuit_breaker, retries, sticky, backup) and the "#   key: value" lines under it.
 */
function uncommentExamples(text: string): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  let inBlock = false;
  const lines = text.split('\n').map((line) => {
    const head = /^(\s*)# (health_check|outlier_detection|circuit_breaker|retries|sticky|backup):$/.exec(line);
    const body = inBlock ? /^(\s*)# (  .*)$/.exec(line) : null;
    inBlock = head !== null || body !== null;
    if (head) blocks.push(head[2] as string);
    return head ? `${head[1]}${head[2]}:` : body ? `${body[1]}${body[2]}` : line;
  });
  return { text: lines.join('\n'), blocks };
}

describe('shipped config files', () => {
  it('conf/bulwark.yaml is valid and spells out every default', async () => {
    const { config, text } = await loadConfigFile(join(CONF, 'bulwark.yaml'));
    expect(text).toContain('upstreams:');
    expect(config.listen.map((l) => l.address)).toEqual([DEFAULT_LISTEN]);
    expect(config.admin.listen).toEqual(DEFAULT_ADMIN_LISTEN);
    expect(config.log).toEqual({ level: DEFAULT_LOG_LEVEL, access: DEFAULT_ACCESS_LOG, access_format: DEFAULT_ACCESS_FORMAT, access_file: undefined });
    expect(config.metrics).toEqual({ per_server: DEFAULT_METRICS_PER_SERVER });
    expect(config.front).toEqual({
      timeouts: DEFAULT_FRONT_TIMEOUTS,
      max_header_size: DEFAULT_MAX_HEADER_SIZE,
      max_headers: DEFAULT_MAX_HEADERS,
      underscores_in_headers: DEFAULT_UNDERSCORES_IN_HEADERS,
      max_body_size: DEFAULT_MAX_BODY_SIZE,
      buffer_requests: DEFAULT_BUFFER_REQUESTS,
      request_buffer_size: DEFAULT_REQUEST_BUFFER_SIZE,
      buffer_responses: DEFAULT_BUFFER_RESPONSES,
      response_buffer_size: DEFAULT_RESPONSE_BUFFER_SIZE,
      max_temp_file_size: DEFAULT_MAX_TEMP_FILE_SIZE,
      temp_path: tmpdir(),
      abort_on_close: DEFAULT_ABORT_ON_CLOSE,
      h2_max_concurrent_streams: 100,
      h2_max_header_list_size: 32 * 1024,
      h2_max_resets_per_second: 100,
      h2_max_control_frames_per_second: 100,
    });
    expect([...config.upstreams.values()]).toEqual([
      {
        name: 'web',
        scheduler: DEFAULT_SCHEDULER,
        hash_key: undefined,
        connections: DEFAULT_CONNECTIONS,
        keep_alive: DEFAULT_UPSTREAM_KEEP_ALIVE,
        timeouts: DEFAULT_UPSTREAM_TIMEOUTS,
        slow_start: DEFAULT_SLOW_START,
        health_check: undefined,
        outlier_detection: undefined,
        circuit_breaker: undefined,
        retries: undefined,
        sticky: undefined,
        servers: [1, 2, 3].map((n) => ({ name: `web-${n}`, url: `http://127.0.0.1:300${n}`, weight: 1, backup: DEFAULT_BACKUP })),
      },
    ]);
    expect(config.routes).toEqual([{ host: undefined, path_prefix: undefined, upstream: 'web' }]);
    expect(config.backup).toBeUndefined();
  });

  it('conf/bulwark.yaml has commented examples of the off-by-default blocks, showing their defaults', async () => {
    const { text, blocks } = uncommentExamples(await readFile(join(CONF, 'bulwark.yaml'), 'utf8'));
    expect(blocks).toEqual(['health_check', 'outlier_detection', 'circuit_breaker', 'retries', 'sticky', 'backup']);
    const { config, issues } = parseConfig(text, '/etc/bulwark/bulwark.yaml');
    expect(issues).toEqual([]);
    expect(config?.upstreams.get('web')).toMatchObject({
      health_check: DEFAULT_HEALTH_CHECK,
      outlier_detection: DEFAULT_OUTLIER_DETECTION,
      circuit_breaker: DEFAULT_CIRCUIT_BREAKER,
      retries: { ...DEFAULT_RETRIES, per_try_timeout: DEFAULT_UPSTREAM_TIMEOUTS.response },
      sticky: DEFAULT_STICKY,
    });
    expect(config?.backup).toEqual({ dir: '/etc/bulwark/var/backups', ...DEFAULT_BACKUP_SETTINGS });
  });

  it('conf/demo.yaml is valid', async () => {
    const { config } = await loadConfigFile(join(CONF, 'demo.yaml'));
    expect(config.listen.map((l) => l.address)).toEqual([{ host: '127.0.0.1', port: 8080 }]);
    expect(config.admin.listen).toEqual({ host: '127.0.0.1', port: 9901 });
    expect([...config.upstreams.keys()]).toEqual(['demo']);
    expect(config.upstreams.get('demo')?.scheduler).toBe('round-robin');
    expect(config.upstreams.get('demo')?.servers.map((s) => [s.name, s.url])).toEqual([
      ['demo-1', 'http://127.0.0.1:3001'],
      ['demo-2', 'http://127.0.0.1:3002'],
      ['demo-3', 'http://127.0.0.1:3003'],
      ['demo-4', 'http://127.0.0.1:3004'],
    ]);
    const demo = config.upstreams.get('demo')!;
    expect(demo.health_check).toMatchObject({ path: '/healthz', interval: 1000, fall: 2, rise: 2 });
    expect(demo.outlier_detection).toMatchObject({ consecutive_5xx: 3, base_ejection_time: 5000 });
    expect(demo.retries).toMatchObject({ attempts: 2 });
    expect(config.routes).toEqual([{ host: undefined, path_prefix: undefined, upstream: 'demo' }]);
  });
});

describe('conf/invalid examples', async () => {
  const files = (await readdir(INVALID)).filter((f) => f.endsWith('.yaml')).sort();

  it('has 5 to 10 examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.length).toBeLessThanOrEqual(10);
  });

  it.each(files)('%s is rejected with the error its first line names', async (name) => {
    const file = join(INVALID, name);
    const expected = /^# expect: (.+)$/m.exec(await readFile(file, 'utf8'))?.[1];
    expect(expected, 'a "# expect: ..." comment').toBeDefined();
    const issues = await validateConfigFile(file);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => formatConfigIssue(i)).join('\n')).toContain(expected);
    await expect(loadConfigFile(file)).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('loadConfigFile and validateConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file as a single issue at line 0', async () => {
    const file = join(dir, 'missing.yaml');
    const expected = [{ file, line: 0, column: 0, path: '', rule: 'cannot read file: ENOENT' }];
    expect(await validateConfigFile(file)).toEqual(expected);
    const err = await loadConfigFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect((err as ConfigError).issues).toEqual(expected);
    expect((err as ConfigError).message).toBe(`1 config error:\n${file}: cannot read file: ENOENT`);
  });

  it('reports a directory as unreadable', async () => {
    expect(await validateConfigFile(dir)).toEqual([{ file: dir, line: 0, column: 0, path: '', rule: 'cannot read file: EISDIR' }]);
  });

  it('returns the config and the text of a valid file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, MINIMAL);
    const { config, text } = await loadConfigFile(file);
    expect(text).toBe(MINIMAL);
    expect(config).toEqual(parseConfig(MINIMAL, file).config);
    expect(await validateConfigFile(file)).toEqual([]);
  });

  it('throws one ConfigError carrying every issue, with the file name', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `${MINIMAL}log: { level: loud, access: maybe }\n`);
    const err = (await loadConfigFile(file).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues.map((i) => [i.file, i.line, i.path])).toEqual([
      [file, 7, 'log.level'],
      [file, 7, 'log.access'],
    ]);
    expect(err.message).toMatch(/^2 config errors:\n.*bad\.yaml:7:15: log\.level: must be one of/);
  });

  it('parseConfig returns no config whenever there are issues', () => {
    expect(parseConfig('listen: [', 'x.yaml').config).toBeUndefined();
    expect(parseConfig(`${MINIMAL}log: 1\n`, 'x.yaml').config).toBeUndefined();
    expect(parseConfig(MINIMAL, 'x.yaml')).toMatchObject({ issues: [], config: { routes: [{ upstream: 'web' }] } });
  });
});

describe('README.md configuration reference', () => {
  it('documents every key', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const keys = [
      'listen', 'admin.listen', 'log.level', 'log.access', 'log.access_format', 'log.access_file', 'metrics.per_server', 'front.timeouts.headers', 'front.timeouts.request',
      'front.timeouts.keep_alive', 'front.timeouts.drain', 'front.max_header_size', 'front.max_body_size',
      'front.timeouts.send', 'front.max_headers', 'front.underscores_in_headers', 'front.buffer_responses',
      'front.response_buffer_size', 'front.max_temp_file_size', 'front.temp_path', 'front.abort_on_close',
      'front.buffer_requests', 'front.request_buffer_size', 'front.h2_max_concurrent_streams', 'front.h2_max_header_list_size',
      'front.h2_max_resets_per_second', 'front.h2_max_control_frames_per_second',
      'scheduler', 'hash_key', 'connections', 'keep_alive', 'timeouts.connect', 'timeouts.response', 'timeouts.idle',
      'servers', 'url', 'name', 'weight', 'match.host', 'match.path_prefix', 'upstream',
      'slow_start', 'backup', 'tls', 'tls.ca', 'tls.cert', 'tls.key', 'tls.servername', 'tls.verify',
    ];
    const blocks = {
      health_check: DEFAULT_HEALTH_CHECK,
      outlier_detection: DEFAULT_OUTLIER_DETECTION,
      circuit_breaker: DEFAULT_CIRCUIT_BREAKER,
      retries: { ...DEFAULT_RETRIES, per_try_timeout: 0 },
    };
    keys.push(...Object.entries(blocks).flatMap(([block, defaults]) => [block, ...Object.keys(defaults).map((k) => `${block}.${k}`)]));
    expect(keys).toHaveLength(33 + 6 + 10 + 4 + 12 + 6 + 8 + 5);
    for (const key of keys) expect(doc, key).toContain(`| \`${key}\` |`);
  });
});
