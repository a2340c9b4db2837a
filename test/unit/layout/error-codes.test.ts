/**
 * @module test/unit/layout/error-codes.test
 * Every BLWK_ code in core/errors.ts is raised somewhere in src/ (a code nothing raises is
 * a promise to operators that nothing keeps), and the README names each one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('BLWK_ error codes', () => {
  const code = sources(join(ROOT, 'src'))
    .filter((f) => !f.endsWith(join('core', 'errors.ts')))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it.each(Object.entries(ErrorCodes))('%s is raised in src/ and named in the README', (key, value) => {
    expect(code.includes(`ErrorCodes.${key}`) || code.includes(`'${value}'`), `nothing in src/ uses ErrorCodes.${key}`).toBe(true);
    expect(readme.includes(value), `README.md does not name ${value}`).toBe(true);
  });
});
