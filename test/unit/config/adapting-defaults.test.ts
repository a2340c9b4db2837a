/**
 * @module test/unit/config/adapting-defaults
 * Every pair of keys with an order between them (short ≤ long): a default never conflicts
 * with what the user wrote. One side written alone is accepted, and the side left out
 * adapts to it; only both written out of order is an error, positioned at the shorter
 * key and naming both. (HAProxy: fastinter defaults to inter.)
 */
import { describe, expect, it } from 'vitest';
import { located, problems, valid, yamlWith } from './fixtures.js';
import type { BulwarkConfig } from '../../../src/core/config.js';

type Tree = { [key: string]: unknown };

interface Pair {
  /** Dotted path of the block holding both keys. */
  readonly block: string;
  readonly short: string;
  readonly long: string;
  /** The defaults, in ms. */
  readonly shortDefault: number;
  readonly longDefault: number;
  /** The block's values in a parsed config. */
  readonly read: (c: BulwarkConfig) => Record<string, unknown>;
}

const hc = (c: BulwarkConfig) => c.upstreams.get('web')!.health_check as unknown as Record<string, unknown>;
const PAIRS: Pair[] = [
  { block: 'upstreams.web.health_check', short: 'timeout', long: 'interval', shortDefault: 1000, longDefault: 2000, read: hc },
  { block: 'upstreams.web.health_check', short: 'fast_interval', long: 'interval', shortDefault: 500, longDefault: 2000, read: hc },
  {
    block: 'upstreams.web.outlier_detection',
    short: 'base_ejection_time',
    long: 'max_ejection_time',
    shortDefault: 30_000,
    longDefault: 300_000,
    read: (c) => c.upstreams.get('web')!.outlier_detection as unknown as Record<string, unknown>,
  },
  { block: 'front.timeouts', short: 'headers', long: 'request', shortDefault: 10_000, longDefault: 60_000, read: (c) => c.front.timeouts },
];

/** The config with `values` written in the pair's block. */
function written(pair: Pair, values: Tree): string {
  const tree = pair.block.split('.').reduceRight<Tree>((inner, key) => ({ [key]: inner }), values);
  return yamlWith(tree);
}

describe.each(PAIRS)('$block: $short ≤ $long', (pair) => {
  const { short, long, shortDefault, longDefault } = pair;

  it(`${long} written shorter than ${short}'s default: ${short} defaults to it`, () => {
    const ms = shortDefault / 2;
    const c = valid(written(pair, { [long]: `${ms}ms` }));
    expect(pair.read(c)).toMatchObject({ [short]: ms, [long]: ms });
  });

  it(`${short} written longer than ${long}'s default: ${long} defaults to it`, () => {
    const ms = longDefault * 2;
    const c = valid(written(pair, { [short]: `${ms}ms` }));
    expect(pair.read(c)).toMatchObject({ [short]: ms, [long]: ms });
  });

  it('one side written within the other default keeps both as written and defaulted', () => {
    expect(pair.read(valid(written(pair, { [long]: `${shortDefault}ms` })))).toMatchObject({ [short]: shortDefault, [long]: shortDefault });
    expect(pair.read(valid(written(pair, { [short]: `${longDefault}ms` })))).toMatchObject({ [short]: longDefault, [long]: longDefault });
    expect(pair.read(valid(written(pair, {})))).toMatchObject({ [short]: shortDefault, [long]: longDefault });
  });

  it('both written: equal is accepted, out of order is an error at the shorter key naming both', () => {
    expect(pair.read(valid(written(pair, { [short]: '3s', [long]: '3s' })))).toMatchObject({ [short]: 3000, [long]: 3000 });
    const text = written(pair, { [short]: '3s', [long]: '2s' });
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.trimStart().startsWith(`${short}: 3s`)) + 1;
    const column = (lines[line - 1] as string).indexOf('3s') + 1;
    expect(located(text)).toEqual([[line, column, `${pair.block}.${short}`, `must not be longer than ${pair.block}.${long} (2s)`]]);
  });

  it('an invalid side is reported once and does not also conflict with the other', () => {
    expect(problems(written(pair, { [short]: `${longDefault * 2}ms`, [long]: 'soon' }))).toEqual([
      `${pair.block}.${long}: must be a duration like 500ms, 2s, 1m or 7d`,
    ]);
    expect(problems(written(pair, { [short]: 10, [long]: `${shortDefault / 2}ms` }))).toEqual([
      `${pair.block}.${short}: must be a duration like 500ms, 2s, 1m or 7d`,
    ]);
  });
});

describe('health_check interval against both timeout and fast_interval', () => {
  const check = (values: Tree) => valid(yamlWith({ upstreams: { web: { health_check: values } } })).upstreams.get('web')!.health_check;

  it('interval: 300ms alone brings both down to it', () => {
    expect(check({ interval: '300ms' })).toMatchObject({ interval: 300, timeout: 300, fast_interval: 300 });
  });

  it('interval left out follows the longer of the written timeout and fast_interval', () => {
    expect(check({ timeout: '5s', fast_interval: '3s' })).toMatchObject({ interval: 5000, timeout: 5000, fast_interval: 3000 });
    expect(check({ timeout: '3s', fast_interval: '5s' })).toMatchObject({ interval: 5000, timeout: 3000, fast_interval: 5000 });
  });

  it('both written against one interval: each conflict is reported at its own key', () => {
    expect(problems(yamlWith({ upstreams: { web: { health_check: { interval: '1s', timeout: '2s', fast_interval: '3s' } } } }))).toEqual([
      'upstreams.web.health_check.timeout: must not be longer than upstreams.web.health_check.interval (1s)',
      'upstreams.web.health_check.fast_interval: must not be longer than upstreams.web.health_check.interval (1s)',
    ]);
  });
});
