/**
 * @module test/unit/config/limits
 * What a hostile or wrong config file costs: the file size cap (read nothing past 1 MiB),
 * the report cap (50 issues, then one counting the rest; long keys clipped), and the
 * nesting cap (32 collections deep, reported at the token that goes deeper, not as a stack
 * overflow dressed up as a syntax error).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTotal, loadConfigFile, MAX_CONFIG_BYTES, MAX_NESTING, MAX_REPORTED_ISSUES, parseConfig, validateConfigFile } from '../../../src/config/index.js';
import { ConfigError, formatConfigIssue } from '../../../src/core/errors.js';
import { MINIMAL } from './fixtures.js';

/** `n` unknown top-level keys. */
const unknown = (n: number): string => Array.from({ length: n }, (_, i) => `junk_${i}: 1\n`).join('');

/** Block mappings `depth` deep in all (the root included). */
const blockMaps = (depth: number): string =>
  `${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n`;

describe('the report cap', () => {
  it(`reports the first ${MAX_REPORTED_ISSUES} issues in file order, then how many more`, () => {
    const { config, issues } = parseConfig(`${MINIMAL}${unknown(120)}`, 'x.yaml');
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(issues[0]).toMatchObject({ line: 7, path: 'junk_0' });
    expect(issues[49]).toMatchObject({ line: 56, path: 'junk_49' });
    expect(formatConfigIssue(issues[50]!)).toBe('x.yaml: and 70 more errors (only the first 50 are reported)');
    expect(issueTotal(issues)).toBe(120);
    expect(issueTotal(parseConfig(`${MINIMAL}${unknown(3)}`, 'x.yaml').issues)).toBe(3);
    expect(issueTotal(parseConfig(`${MINIMAL}${unknown(51)}`, 'x.yaml').issues)).toBe(51);
  });

  it('clips a huge key in the path and the rule', () => {
    const key = 'k'.repeat(100_000);
    // An explicit key (`? `): a plain implicit key may only be 1024 characters long.
    const [issue] = parseConfig(`${MINIMAL}? ${key}\n: 1\n`, 'x.yaml').issues;
    expect(issue!.path).toMatch(/^k{600}… \(99200 characters cut\) …k{200}$/);
    expect(issue!.rule).toMatch(/^unknown key "k{587}… \(\d+ characters cut\) ….*backup, alerts, workers, trusted_proxies, fleet$/);
    expect(formatConfigIssue(issue!).length).toBeLessThan(2100);
  });
});

describe('the nesting cap', () => {
  it(`accepts ${MAX_NESTING} levels and reports the next one at its position`, () => {
    const ok = parseConfig(blockMaps(MAX_NESTING), 'x.yaml').issues;
    expect(ok.map((i) => i.rule).join('\n')).not.toMatch(/nesting/);
    const deep = parseConfig(blockMaps(MAX_NESTING + 1), 'x.yaml').issues;
    // At the `:` that opens the 33rd mapping.
    expect(deep).toEqual([{ file: 'x.yaml', line: 33, column: 2 * MAX_NESTING + 4, path: '', rule: expect.stringMatching(/^nesting deeper than 32 levels/) }]);
  });

  it('reports a thousand flow sequences as too deep, not as a stack overflow', () => {
    const text = `upstreams:\n  web: ${'['.repeat(100_000)}\n`;
    const issues = parseConfig(text, 'x.yaml').issues;
    // The root and upstreams mappings, then the 31st `[` ("  web: " is 7 characters).
    expect(issues).toEqual([{ file: 'x.yaml', line: 2, column: 7 + MAX_NESTING - 1, path: '', rule: expect.stringMatching(/^nesting deeper than 32 levels/) }]);
    expect(issues[0]!.rule).not.toMatch(/call stack|syntax/);
  });

  it('still reports a second document as a syntax error', () => {
    expect(parseConfig(`${MINIMAL}---\n${MINIMAL}`, 'x.yaml').issues).toEqual([
      expect.objectContaining({ line: 7, rule: expect.stringMatching(/^YAML syntax error: Source contains multiple documents/) }),
    ]);
  });
});

describe('the file size cap', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-limits-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`reads a file of ${MAX_CONFIG_BYTES} bytes, refuses one byte more unparsed`, async () => {
    const file = join(dir, 'big.yaml');
    const fill = (bytes: number): string => `${MINIMAL}#${'x'.repeat(bytes - MINIMAL.length - 2)}\n`;
    await writeFile(file, fill(MAX_CONFIG_BYTES));
    expect(await validateConfigFile(file)).toEqual([]);
    await writeFile(file, fill(MAX_CONFIG_BYTES + 1));
    const rule = 'config file is 1048577 bytes, over the 1048576 byte (1 MiB) limit; not parsed';
    expect(await validateConfigFile(file)).toEqual([{ file, line: 0, column: 0, path: '', rule }]);
    const err = (await loadConfigFile(file).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`1 config error:\n${file}: ${rule}`);
  });
});
