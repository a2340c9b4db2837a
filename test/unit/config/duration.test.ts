/**
 * @module test/unit/config/duration
 * The duration, size and percentage spellings config accepts, at and just past each boundary.
 */
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration, parsePercent, parseSize } from '../../../src/config/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['1ms', 1],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1.5d', 129_600_000],
    ['0s', 0],
    ['0.4ms', 0],
    ['0.6ms', 1],
    [' 2s ', 2000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([[2], ['2'], ['2 s'], ['-1s'], ['1D'], ['1w'], ['1S'], ['s'], ['.5s'], ['1.s'], ['1m30s'], [''], [null], [true], [{}]])(
    'rejects %j',
    (value) => {
      expect(parseDuration(value)).toBeUndefined();
    },
  );
});

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1024, 1024],
    ['512b', 512],
    ['16kb', 16_384],
    ['16KB', 16_384],
    ['10mb', 10_485_760],
    ['1gb', 1_073_741_824],
    ['1.5kb', 1536],
    ['1MiB', 1_048_576],
    ['64kib', 65_536],
    ['2GiB', 2_147_483_648],
  ])('%j is %d bytes', (value, bytes) => {
    expect(parseSize(value)).toBe(bytes);
  });

  it.each([[-1], [1.5], ['1tb'], ['10 mb'], ['kb'], ['10'], ['-1kb'], [Number.MAX_SAFE_INTEGER + 2], [null], [true]])(
    'rejects %j',
    (value) => {
      expect(parseSize(value)).toBeUndefined();
    },
  );
});

describe('parsePercent', () => {
  it.each([
    ['0%', 0],
    ['10%', 0.1],
    ['12.5%', 0.125],
    ['100%', 1],
    ['150%', 1.5],
    [' 50% ', 0.5],
  ])('%j is %d', (text, fraction) => {
    expect(parsePercent(text)).toBe(fraction);
  });

  it.each([[10], [0.1], ['10'], ['10 %'], ['%'], ['-5%'], ['.5%'], ['5%%'], ['ten%'], [null], [true]])('rejects %j', (value) => {
    expect(parsePercent(value)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [1500, '1500ms'],
    [2000, '2s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [7_200_000, '2h'],
    [MAX_DURATION_MS, '596h'],
    [604_800_000, '7d'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
