/**
 * @module test/unit/balancer/sticky-ndjson
 * The one session-record codec (GET /sessions/export, POST /sessions/import, snapshots):
 * the exact line it writes, what it reads and refuses, each refusal named by its line
 * number, the `expiresAt` read alias of older snapshots, and decoding in steps.
 */
import { describe, expect, it } from 'vitest';
import { decodeLine, decodeNdjson, decodeSteps, encodeLine, encodeNdjson, entryProblem, MAX_LINE_PROBLEMS, type StickyEntry } from '../../../src/balancer/sticky/index.js';

const T = 1_700_000_000_000;
const rec = (key: string, server = 'web-1', upstream = 'web', expires_at = T): StickyEntry => ({ key, upstream, server, expires_at });

describe('encode', () => {
  it('writes one object a line, key, upstream, server and expires_at in that order, as JSON.stringify would', () => {
    const e = rec('k"1\\\u00e9\u{1F600}\u0001', 'api-1', 'api "v2"');
    expect(encodeLine(e)).toBe(`{"key":"k\\"1\\\\\u00e9\u{1F600}\\u0001","upstream":"api \\"v2\\"","server":"api-1","expires_at":${T}}\n`);
    expect(encodeLine(e)).toBe(`${JSON.stringify({ key: e.key, upstream: e.upstream, server: e.server, expires_at: e.expires_at })}\n`);
    expect(encodeNdjson([rec('a'), rec('b')])).toBe(encodeLine(rec('a')) + encodeLine(rec('b')));
    expect(encodeNdjson([])).toBe('');
  });

  it('round-trips every field', () => {
    const all = [rec('k"1\\\u00e9\u{1F600}\t'), rec('x'.repeat(256), 's"2', 'up\u00e9', T + 1)];
    expect(decodeNdjson(encodeNdjson(all))).toEqual({ entries: all, invalid: 0, problems: [], terminated: true });
  });
});

describe('decode', () => {
  it('reads good lines, skips blank ones and a "\\r", and names each bad line by its number', () => {
    const text = [
      `{"key":"a","upstream":"web","server":"web-1","expires_at":${T}}`,
      `{"key":"b","upstream":"api","server":"api-1","expires_at":${T}}\r`,
      '',
      'not json',
      '[1,2]',
      `{"key":"d","upstream":"web","server":"web-1","expires_at":"soon"}`,
      `{"key":"e","upstream":"web","server":"web-2","expires_at":${T},"extra":true}`,
      `{"key":"f","server":"web-2","expires_at":${T}}`,
      '',
    ].join('\n');
    expect(decodeNdjson(text)).toEqual({
      entries: [rec('a'), rec('b', 'api-1', 'api'), rec('e', 'web-2')],
      invalid: 4,
      problems: [
        { line: 4, problem: 'not JSON' },
        { line: 5, problem: 'must be a JSON object' },
        { line: 6, problem: 'expires_at must be a finite number (epoch ms)' },
        { line: 8, problem: 'upstream must be a string' },
      ],
      terminated: true,
    });
  });

  it('says when the last line has no newline', () => {
    expect(decodeNdjson(encodeLine(rec('a')).trimEnd())).toMatchObject({ entries: [rec('a')], terminated: false });
    expect(decodeNdjson('')).toEqual({ entries: [], invalid: 0, problems: [], terminated: true });
  });

  it(`names the first ${MAX_LINE_PROBLEMS} bad lines and counts the rest`, () => {
    const d = decodeNdjson('x\n'.repeat(12));
    expect(d.invalid).toBe(12);
    expect(d.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads the expiresAt spelling of older snapshots, and writes expires_at', () => {
    const old = JSON.stringify({ key: 'k', upstream: 'web', server: 's', expiresAt: T });
    expect(decodeLine(old)).toEqual(rec('k', 's'));
    expect(encodeLine(decodeLine(old) as StickyEntry)).toBe(`{"key":"k","upstream":"web","server":"s","expires_at":${T}}\n`);
    expect(decodeLine('{"key":"k","upstream":"web","server":"s","expiresAt":null}')).toBe('expiresAt must be a finite number (epoch ms)');
    // When both are there, expires_at is the one read.
    expect(decodeLine(`{"key":"k","upstream":"web","server":"s","expires_at":${T},"expiresAt":1}`)).toEqual(rec('k', 's'));
  });

  it('in steps: yields between chunks of lines and keeps the line numbers of the whole text', () => {
    const text = `${encodeNdjson([rec('a'), rec('b'), rec('c')])}bad\n${encodeLine(rec('d'))}`;
    const steps = decodeSteps(text, 2);
    let pauses = 0;
    let r = steps.next();
    for (; r.done !== true; r = steps.next()) pauses++;
    expect(pauses).toBe(2);
    expect(r.value).toEqual({ ...decodeNdjson(text), problems: [{ line: 4, problem: 'not JSON' }] });
  });
});

describe('entryProblem, the one check', () => {
  it.each([
    [null, 'must be a JSON object'],
    [{ ...rec('k'), key: 7 }, 'key must be a string'],
    [rec(''), 'key must not be empty'],
    [rec('x'.repeat(257)), 'key is longer than 256 characters'],
    [rec('k', ''), 'server must not be empty'],
    [rec('k', 's', ''), 'upstream must not be empty'],
    [rec('k', 's', 'web', Number.POSITIVE_INFINITY), 'expires_at must be a finite number (epoch ms)'],
  ])('%j: %s', (v, problem) => {
    expect(entryProblem(v)).toBe(problem);
  });
  it('passes a record', () => expect(entryProblem(rec('x'.repeat(256)))).toBeUndefined());
});
