/**
 * @module test/unit/backup/agent-units.test
 * The pure parts of the `bulwark backup` commands: the config line diff of
 * `restore --dry-run`, `--before` times, where the admin API is found, and the settings read
 * from a config (including one that does not validate as a whole). Their failures are
 * BulwarkErrors with stable codes; BLWK_USAGE alone exits 2.
 */
import { describe, expect, it } from 'vitest';
import { adminUrlFor, resolveAdminTarget } from '../../../src/admin/client.js';
import { lineDiff } from '../../../src/backup/agent/config-file.js';
import { describeError, exitCodeOf } from '../../../src/backup/agent/errors.js';
import { BulwarkError, ErrorCodes, type ErrorCode } from '../../../src/core/errors.js';
import { parseTime } from '../../../src/backup/agent/restore.js';
import { backupSettingsFrom } from '../../../src/backup/agent/settings.js';

/** The error `fn` throws: a BulwarkError with `code`, whose exit status is `exit`. */
function thrown(fn: () => unknown, code: ErrorCode, exit: 1 | 2): BulwarkError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BulwarkError);
    expect((err as BulwarkError).code).toBe(code);
    expect(exitCodeOf(err)).toBe(exit);
    expect(describeError(err)).toBe(`${(err as BulwarkError).message} [${code}]`);
    return err as BulwarkError;
  }
  throw new Error('nothing was thrown');
}

const CONF = 'upstreams: { web: { servers: [ { url: "http://127.0.0.1:1" } ] } }\nroutes: [ { upstream: web } ]\n';

describe('lineDiff', () => {
  it('lists removed then added lines of each changed run, with their line numbers', () => {
    expect(lineDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\ne\n')).toEqual(['@@ -2 +2 @@', '-b', '+B', '@@ -5 +5 @@', '+e']);
  });
  it('is empty for equal texts and whole for disjoint ones', () => {
    expect(lineDiff('x\ny', 'x\ny')).toEqual([]);
    expect(lineDiff('x', 'y')).toEqual(['@@ -1 +1 @@', '-x', '+y']);
  });
});

describe('parseTime (--before)', () => {
  it('accepts ISO 8601 with a zone, to the minute or finer', () => {
    expect(parseTime('2026-11-28T10:00Z').toISOString()).toBe('2026-11-28T10:00:00.000Z');
    expect(parseTime('2026-11-28T10:00:30.5+01:00').toISOString()).toBe('2026-11-28T09:00:30.500Z');
    expect(parseTime('2026-11-28t10:00z').toISOString()).toBe('2026-11-28T10:00:00.000Z');
  });
  it('refuses a time without a zone, a date alone and prose, as a usage error', () => {
    for (const bad of ['2026-11-28T10:00', '2026-11-28', 'yesterday', '11/28/2026 10:00Z']) {
      thrown(() => parseTime(bad), ErrorCodes.USAGE, 2);
    }
  });
});

describe('admin target', () => {
  const config = backupSettingsFrom(`admin: { listen: "0.0.0.0:9901", token_env: TOKEN }\nbackup: { dir: b }\n${CONF}`, '/etc/bulwark/b.yaml', {}).config;

  it('maps wildcard hosts to loopback and brackets IPv6', () => {
    expect(adminUrlFor('0.0.0.0', 9901)).toBe('http://127.0.0.1:9901');
    expect(adminUrlFor('::', 9901)).toBe('http://127.0.0.1:9901');
    expect(adminUrlFor('::1', 9901)).toBe('http://[::1]:9901');
  });
  it('prefers --admin, then BULWARK_ADMIN_URL, then admin.listen; the token comes from admin.token_env', () => {
    expect(resolveAdminTarget(config, { admin: 'http://127.0.0.1:1', env: { TOKEN: 't', BULWARK_ADMIN_URL: 'http://127.0.0.1:2' } })).toEqual({ url: 'http://127.0.0.1:1', token: 't' });
    expect(resolveAdminTarget(config, { env: { TOKEN: 't', BULWARK_ADMIN_URL: 'http://127.0.0.1:2/' } }).url).toBe('http://127.0.0.1:2');
    expect(resolveAdminTarget(config, { env: { TOKEN: 't' } }).url).toBe('http://127.0.0.1:9901');
    expect(thrown(() => resolveAdminTarget(config, { env: {} }), ErrorCodes.CONFIG_INVALID, 1).message).toContain('admin.token_env names TOKEN, which is not set or empty');
    expect(thrown(() => resolveAdminTarget(config, { admin: 'http://h:1/path', env: { TOKEN: 't' } }), ErrorCodes.USAGE, 2).message).toContain('must be an http:// origin');
  });
});

describe('backup settings', () => {
  it('resolves dir against the config file and reads the key from encrypt_key_env', () => {
    const s = backupSettingsFrom(`backup: { dir: snaps, encrypt_key_env: KEY }\n${CONF}`, '/etc/bulwark/b.yaml', { KEY: 'k' });
    expect(s.backup.dir).toBe('/etc/bulwark/snaps');
    expect(s.key).toBe('k');
    expect(s.warning).toBeUndefined();
  });
  it('uses the admin and backup blocks of a config that does not validate, with a warning', () => {
    const s = backupSettingsFrom(`admin: { listen: "127.0.0.1:7000" }\nbackup: { dir: snaps }\nupstreams: { web: { servers: [] } }\nroutes: []\n`, '/x/b.yaml', {});
    expect(s.backup.dir).toBe('/x/snaps');
    expect(s.config.admin.listen).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(s.warning).toMatch(/^warning: \/x\/b\.yaml is not a valid config \(\d+ error\(s\)\)/);
  });
  it('refuses a config without a backup block, naming the file', () => {
    expect(thrown(() => backupSettingsFrom(CONF, '/x/b.yaml', {}), ErrorCodes.CONFIG_INVALID, 1).message).toContain('/x/b.yaml has no backup: block');
  });
});
