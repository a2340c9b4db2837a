/**
 * @module backup/agent/settings
 * What every `bulwark backup` command reads from `-c FILE`: the `backup:` block (its `dir`
 * already absolute, resolved against the file's folder by the config loader), the admin
 * address and token, and the encryption key from `backup.encrypt_key_env`.
 *
 * A file that does not validate as a whole (a bad edit is exactly what one restores from)
 * is still usable when its YAML parses and its `admin` and `backup` blocks are valid: those
 * two blocks are read on their own, with a warning.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, stringify } from 'yaml';
import type { BackupConfig, BulwarkConfig } from '../../core/config.js';
import { BulwarkError, ErrorCodes, formatConfigIssue } from '../../core/errors.js';
import { parseConfig } from '../../config/index.js';

export interface BackupSettings {
  readonly file: string;
  readonly config: BulwarkConfig;
  readonly backup: BackupConfig;
  /** The encryption key, when backup.encrypt_key_env names a variable that is set. */
  readonly key: string | undefined;
  /** Set when the file did not validate and only its admin and backup blocks were read. */
  readonly warning: string | undefined;
}

/** Only the blocks the backup commands need, in a config that is otherwise the smallest valid one. */
function blocksOnly(text: string, file: string): BulwarkConfig | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || !('backup' in doc)) return undefined;
  const { admin, backup } = doc as { admin?: unknown; backup?: unknown };
  const minimal = { ...(admin === undefined ? {} : { admin }), backup, upstreams: { x: { servers: [{ url: 'http://127.0.0.1:1' }] } }, routes: [{ upstream: 'x' }] };
  return parseConfig(stringify(minimal), file).config;
}

/** Reads `file`; throws a BulwarkError naming the file when it has no usable backup block. */
export async function loadBackupSettings(file: string, env: NodeJS.ProcessEnv): Promise<BackupSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return backupSettingsFrom(text, file, env);
}

/** The settings in config `text` (the contents of `file`, which relative paths are resolved against). */
export function backupSettingsFrom(text: string, file: string, env: NodeJS.ProcessEnv): BackupSettings {
  const parsed = parseConfig(text, file);
  let config = parsed.config;
  let warning: string | undefined;
  if (config === undefined) {
    config = blocksOnly(text, file);
    const issues = parsed.issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n');
    if (config === undefined) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `${file} is not a valid config:\n${issues}`);
    warning = `warning: ${file} is not a valid config (${parsed.issues.length} error(s)); using only its admin and backup blocks:\n${issues}`;
  }
  const backup = config.backup;
  if (backup === undefined) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `${file} has no backup: block: add one (at least backup.dir) to use bulwark backup`);
  return { file, config, backup, key: backupKey(backup, env), warning };
}

/** The encryption key from the variable backup.encrypt_key_env names; undefined when unnamed, unset or empty. */
export function backupKey(backup: BackupConfig, env: NodeJS.ProcessEnv): string | undefined {
  const name = backup.encrypt_key_env;
  return name === undefined ? undefined : env[name] || undefined;
}

/** Throws unless a snapshot can be written as configured (an encrypted setup needs its key). */
export function requireWriteKey(s: BackupSettings): void {
  const name = s.backup.encrypt_key_env;
  if (name !== undefined && s.key === undefined) {
    throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `backup.encrypt_key_env names ${name}, which is not set or empty: refusing to write an unencrypted snapshot`);
  }
}

/** A hint for problems that a key would solve: where the key comes from. */
export function keyHint(s: BackupSettings, problems: readonly string[]): string | undefined {
  if (!problems.some((p) => /key/.test(p))) return undefined;
  const name = s.backup.encrypt_key_env;
  if (name === undefined) return `hint: ${s.file} has no backup.encrypt_key_env, so no key was used`;
  return s.key === undefined ? `hint: set ${name} (backup.encrypt_key_env) to the key` : `hint: the key was read from ${name} (backup.encrypt_key_env)`;
}
