/**
 * @module config/load
 * The entry points: text or a file in, a validated BulwarkConfig or every issue out.
 * parseConfig never throws, so `bulwark validate` and hot reload can show all problems;
 * loadConfigFile throws one ConfigError carrying them, for startup.
 */
import { readFile } from 'node:fs/promises';
import type { BulwarkConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { ConfigIssue } from '../core/errors.js';
import { Checker } from './validate-context.js';
import { validateConfig } from './validate.js';
import { parseYaml } from './yaml.js';

export interface ParseResult {
  /** Present exactly when `issues` is empty. */
  readonly config: BulwarkConfig | undefined;
  /** Every problem found, in file order. */
  readonly issues: ConfigIssue[];
}

const byPosition = (a: ConfigIssue, b: ConfigIssue): number => a.line - b.line || a.column - b.column;

/**
 * Parses and validates config text. `file` is only used in the issues. A YAML syntax error
 * stops there (the tree behind it is not worth checking); otherwise every rule is checked.
 */
export function parseConfig(text: string, file: string): ParseResult {
  const { source, errors, warnings } = parseYaml(text, file);
  if (errors.length > 0) return { config: undefined, issues: errors.sort(byPosition) };
  const checker = new Checker(source);
  checker.issues.push(...warnings);
  const config = validateConfig(checker, source.doc.contents);
  const issues = checker.issues.sort(byPosition);
  return { config: issues.length === 0 ? config : undefined, issues };
}

async function readText(file: string): Promise<{ text: string } | { issue: ConfigIssue }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { issue: { file, line: 0, column: 0, path: '', rule: `cannot read file: ${code}` } };
  }
}

/** Reads and validates a config file; throws a ConfigError listing every issue. */
export async function loadConfigFile(file: string): Promise<{ config: BulwarkConfig; text: string }> {
  const read = await readText(file);
  if ('issue' in read) throw new ConfigError([read.issue]);
  const { config, issues } = parseConfig(read.text, file);
  if (!config) throw new ConfigError(issues);
  return { config, text: read.text };
}

/** Every issue in a config file; [] when it is valid. Never throws. */
export async function validateConfigFile(file: string): Promise<ConfigIssue[]> {
  const read = await readText(file);
  return 'issue' in read ? [read.issue] : parseConfig(read.text, file).issues;
}
