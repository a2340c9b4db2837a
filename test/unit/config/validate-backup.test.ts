/**
 * @module test/unit/config/validate-backup
 * The top-level `backup:` block: absent vs written, `dir` required and made absolute
 * against the config file's folder, every other key at and just past its limits.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKUP_SETTINGS, diffConfig, parseConfig } from '../../../src/config/index.js';
import type { BackupConfig } from '../../../src/core/config.js';
import { FILE, located, MINIMAL, onlyRule, problems, valid, yamlWith } from './fixtures.js';

const read = (backup: Record<string, unknown>) => valid(yamlWith({ backup: { dir: '/var/bulwark', ...backup } })).backup as BackupConfig;
const ruleOf = (key: string, value: unknown) => onlyRule(yamlWith({ backup: { dir: '/var/bulwark', [key]: value } }), `backup.${key}`);
const DURATION = 'must be a duration like 500ms, 2s, 1m or 7d';

describe('backup block', () => {
  it('is off (undefined) when absent', () => {
    expect(valid(MINIMAL).backup).toBeUndefined();
  });

  it('fills every default but dir', () => {
    const defaults = { interval: 300_000, keep_last: 48, keep_within: 604_800_000, encrypt_key_env: undefined, on_reload: true, cpu_class: 'low', timeout: 60_000 };
    expect(read({})).toEqual({ dir: '/var/bulwark', ...defaults });
    expect(DEFAULT_BACKUP_SETTINGS).toEqual(defaults);
  });

  it('requires dir, pointing at the block, or at its key when the block is empty', () => {
    expect(located(`${MINIMAL}backup:\n  interval: 1m\n`)).toEqual([[8, 3, 'backup.dir', 'is required']]);
    expect(located(`${MINIMAL}backup:\n`)).toEqual([[7, 1, 'backup.dir', 'is required']]);
    expect(located(`${MINIMAL}backup: {}\n`)).toEqual([[7, 9, 'backup.dir', 'is required']]);
  });

  it('rejects a non-mapping (once) and unknown keys, incremental snapshots included', () => {
    expect(problems(yamlWith({ backup: 'var/backups' }))).toEqual(['backup: must be a mapping']);
    expect(ruleOf('full_every', 1)).toBe(
      'unknown key "full_every"; expected one of: dir, interval, keep_last, keep_within, encrypt_key_env, on_reload, cpu_class, timeout',
    );
    expect(ruleOf('keep_lst', 1)).toMatch(/\(did you mean "keep_last"\?\)$/);
  });
});

describe('dir', () => {
  it('keeps an absolute dir, normalised', () => {
    expect(read({ dir: '/srv/bulwark/../backups/' }).dir).toBe('/srv/backups');
  });

  it('resolves a relative dir against the config file folder, not the working directory', () => {
    const text = yamlWith({ backup: { dir: 'var/backups' } });
    expect(parseConfig(text, '/etc/bulwark/bulwark.yaml').config?.backup?.dir).toBe('/etc/bulwark/var/backups');
    expect(parseConfig(yamlWith({ backup: { dir: '.' } }), '/etc/bulwark.yaml').config?.backup?.dir).toBe('/etc');
    expect(parseConfig(text, 'conf/x.yaml').config?.backup?.dir).toBe(resolve('conf/var/backups'));
    expect(valid(text).backup?.dir).toBe(resolve(FILE, '..', 'var/backups'));
  });

  it.each([
    ['', 'must not be empty'],
    [5, 'must be a string (quote numbers and true/false: "200")'],
    [['a'], 'must be a string (quote numbers and true/false: "200")'],
    ['~/backups', 'must not start with ~ (write the full path, or one relative to the config file)'],
    ['a\0b', 'must not contain a NUL character'],
  ])('rejects dir %j', (dir, rule) => {
    expect(onlyRule(yamlWith({ backup: { dir } }), 'backup.dir')).toBe(rule);
  });

  it('accepts a folder merely named with a ~ inside', () => {
    expect(read({ dir: '/srv/a~b' }).dir).toBe('/srv/a~b');
  });
});

describe('other keys', () => {
  it('interval is a timer duration: up to 596h', () => {
    expect(read({ interval: '1ms' }).interval).toBe(1);
    expect(read({ interval: '1d' }).interval).toBe(86_400_000);
    expect(read({ interval: '596h' }).interval).toBe(596 * 3_600_000);
    expect(ruleOf('interval', '0s')).toBe('must be longer than 0');
    expect(ruleOf('interval', '25d')).toBe('must be at most 596h');
    expect(ruleOf('interval', 300)).toBe(DURATION);
  });

  it('keep_within is a retention age: days, up to 3650d', () => {
    expect(read({ keep_within: '7d' }).keep_within).toBe(604_800_000);
    expect(read({ keep_within: '1.5d' }).keep_within).toBe(129_600_000);
    expect(read({ keep_within: '90d' }).keep_within).toBe(90 * 86_400_000);
    expect(read({ keep_within: '3650d' }).keep_within).toBe(3650 * 86_400_000);
    expect(read({ keep_within: '1ms' }).keep_within).toBe(1);
    expect(ruleOf('keep_within', '3651d')).toBe('must be at most 3650d');
    expect(ruleOf('keep_within', '0d')).toBe('must be longer than 0');
    expect(ruleOf('keep_within', '7')).toBe(DURATION);
    expect(ruleOf('keep_within', '1w')).toBe(DURATION);
  });

  it('keep_last is an integer 1..100000', () => {
    expect(read({ keep_last: 1 }).keep_last).toBe(1);
    expect(read({ keep_last: 100_000 }).keep_last).toBe(100_000);
    for (const bad of [0, 100_001, 2.5, '48', null]) expect(ruleOf('keep_last', bad)).toBe('must be an integer between 1 and 100000');
  });

  it('encrypt_key_env is an environment variable name', () => {
    for (const name of ['BULWARK_BACKUP_KEY', '_k', 'a1']) expect(read({ encrypt_key_env: name }).encrypt_key_env).toBe(name);
    for (const bad of ['1KEY', 'MY-KEY', '', 'A B', 5]) {
      expect(ruleOf('encrypt_key_env', bad)).toBe('must be an environment variable name like BULWARK_BACKUP_KEY');
    }
  });

  it('on_reload is a boolean', () => {
    expect(read({ on_reload: false }).on_reload).toBe(false);
    for (const bad of ['yes', 'true', 1]) expect(ruleOf('on_reload', bad)).toBe('must be true or false');
  });

  it('cpu_class is idle or low, with a suggestion for a near miss', () => {
    expect(read({ cpu_class: 'idle' }).cpu_class).toBe('idle');
    expect(read({ cpu_class: 'low' }).cpu_class).toBe('low');
    expect(ruleOf('cpu_class', 'idel')).toBe('must be one of: idle, low (did you mean "idle"?)');
    for (const bad of ['normal', 10, true]) expect(ruleOf('cpu_class', bad)).toMatch(/^must be one of: idle, low/);
  });

  it('timeout is a timer duration', () => {
    expect(read({ timeout: '5s' }).timeout).toBe(5000);
    expect(ruleOf('timeout', '0s')).toBe('must be longer than 0');
    expect(ruleOf('timeout', 30)).toBe(DURATION);
  });
});

it('collects every backup issue in one pass, next to other issues, at exact positions', () => {
  const text = `${MINIMAL}backup:
  interval: 5
  keep_last: 0
  keep_within: 7w
  encrypt_key_env: my-key
  on_reload: yes
  full_every: 1
log: { level: loud }
`;
  expect(located(text)).toEqual([
    [8, 3, 'backup.dir', 'is required'],
    [8, 13, 'backup.interval', DURATION],
    [9, 14, 'backup.keep_last', 'must be an integer between 1 and 100000'],
    [10, 16, 'backup.keep_within', DURATION],
    [11, 20, 'backup.encrypt_key_env', 'must be an environment variable name like BULWARK_BACKUP_KEY'],
    [12, 14, 'backup.on_reload', 'must be true or false'],
    [13, 3, 'backup.full_every', 'unknown key "full_every"; expected one of: dir, interval, keep_last, keep_within, encrypt_key_env, on_reload, cpu_class, timeout'],
    [14, 15, 'log.level', 'must be one of: fatal, error, warn, info, debug, trace, silent'],
  ]);
});

it('a reload that changes backup settings is a change, named in the summary', () => {
  const a = valid(yamlWith({ backup: { dir: '/b' } }));
  const b = valid(yamlWith({ backup: { dir: '/b', keep_last: 10 } }));
  expect(diffConfig(a, b)).toMatchObject({ changed: true, summary: ['backup settings changed'] });
  expect(diffConfig(a, a).changed).toBe(false);
});
