/**
 * @module config/validate-backup
 * Validation of the top-level `backup:` block (the backup sidecar). Absent, there are no
 * snapshots; written, `dir` is required and every other key has its default. A relative
 * `dir` is resolved against the folder of the config file, not the working directory, so
 * the same file means the same place however bulwark is started; the config holds it absolute.
 */
import { dirname, resolve } from 'node:path';
import type { BackupConfig } from '../core/config.js';
import { BACKUP_CPU_CLASSES, DEFAULT_BACKUP_SETTINGS, KEEP_LAST_RANGE, MAX_KEEP_WITHIN_DAYS } from './defaults.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { boolean, duration, durationUpTo, envName, integer, oneOf, readFields, text } from './validate-values.js';
import type { Fields } from './validate-values.js';

const FIELDS: Fields<Omit<BackupConfig, 'dir'>> = {
  interval: duration,
  keep_last: integer(KEEP_LAST_RANGE),
  // A retention age, never a timer: it may pass the 596h timer limit.
  keep_within: durationUpTo(MAX_KEEP_WITHIN_DAYS * 86_400_000, `${MAX_KEEP_WITHIN_DAYS}d`),
  encrypt_key_env: envName('BULWARK_BACKUP_KEY'),
  on_reload: boolean,
  cpu_class: oneOf(BACKUP_CPU_CLASSES),
  timeout: duration,
};
const KEYS = ['dir', ...Object.keys(FIELDS)];

/** A folder, made absolute against `base` (the config file's folder). */
export function directory(base: string): Parse<string> {
  return (value) => {
    const path = text(value);
    if (path instanceof Invalid) return path;
    if (path.includes('\0')) return new Invalid('must not contain a NUL character');
    // The shell expands ~, bulwark does not: "~/backups" would be a folder named "~".
    if (path === '~' || path.startsWith('~/')) return new Invalid('must not start with ~ (write the full path, or one relative to the config file)');
    return resolve(base, path);
  };
}

/** The backup block; undefined when it is absent. */
export function readBackup(checker: Checker, top: Block): BackupConfig | undefined {
  const block = top.feature('backup', KEYS);
  if (!block) return undefined;
  const base = dirname(resolve(checker.source.file));
  const dir = block.require('dir', directory(base));
  return { dir: dir ?? base, ...readFields(block, FIELDS, DEFAULT_BACKUP_SETTINGS) };
}
