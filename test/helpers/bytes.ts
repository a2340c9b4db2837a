/**
 * Comparing a received body with what was sent, saying HOW it differs (lengths, the first
 * differing offset, where the bytes from there on come from), not just that two hashes
 * differ: that is what tells loss, duplication, truncation and reordering apart.
 */
import { expect } from 'vitest';

/** How many bytes after a difference are looked up in `want` to find where they came from. */
const PROBE = 64;

/** '' when `got` equals `want`, else a description of the first difference. */
export function bodyDiff(got: Buffer, want: Buffer): string {
  if (got.equals(want)) return '';
  const n = Math.min(got.length, want.length);
  let at = 0;
  while (at < n && got[at] === want[at]) at++;
  const head = `received ${got.length} bytes of ${want.length} sent (${got.length - want.length >= 0 ? '+' : ''}${got.length - want.length})`;
  if (at === n) return `${head}; identical up to ${n}: the ${got.length < want.length ? 'end is missing' : 'extra bytes are at the end'}`;
  const probe = got.subarray(at, at + PROBE);
  const from = want.indexOf(probe);
  const source = from < 0 ? 'appear nowhere in what was sent' : `are the sent bytes at ${from} (${from > at ? `${from - at} bytes skipped` : `${at - from} bytes repeated`})`;
  const zeros = probe.every((b) => b === 0) ? ' (all zero)' : '';
  return `${head}; first difference at offset ${at}: the ${probe.length} bytes there${zeros} ${source}`;
}

/** Asserts that `got` is byte for byte `want`, with bodyDiff's description when it is not. */
export function expectBody(got: Buffer | undefined, want: Buffer, what = 'the body'): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect(bodyDiff(got!, want), `${what} differs from what was sent`).toBe('');
}
