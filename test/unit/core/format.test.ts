/** jsonString is JSON.stringify for strings, taken by a shortcut when nothing needs escaping. */
import { describe, expect, it } from 'vitest';
import { formatDuration, jsonString } from '../../../src/core/format.js';

describe('jsonString', () => {
  it.each([
    ['plain', 'abc-123_/x?y=1'],
    ['empty', ''],
    ['quote and backslash', 'a"b\\c'],
    ['control characters', 'a\nb\tc\x00\x1f'],
    ['DEL and latin1', '\x7fcaf\xe9'],
    ['a surrogate pair', 'x\ud83d\ude00y'],
    ['a lone surrogate', 'x\ud800y'],
  ])('%s: the same as JSON.stringify', (_name, s) => {
    expect(jsonString(s)).toBe(JSON.stringify(s));
  });
});

describe('formatDuration', () => {
  it('writes the largest whole unit', () => {
    expect([formatDuration(1500), formatDuration(2000), formatDuration(300_000), formatDuration(7_200_000)]).toEqual(['1500ms', '2s', '5m', '2h']);
  });

  it('writes whole days as days, as backup.keep_within is written (7d, not 168h)', () => {
    expect([formatDuration(604_800_000), formatDuration(90_000_000), formatDuration(596 * 3_600_000)]).toEqual(['7d', '25h', '596h']);
  });
});
