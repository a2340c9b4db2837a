/**
 * @module core/format
 * Human-readable formatting shared by config errors and state-change reasons.
 */

/** Formats milliseconds the way they are written in config ("1500ms", "2s", "5m", "7d"), for messages. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Characters a JSON string must escape (RFC 8259 §7), and surrogates: JSON.stringify
 * escapes a lone one, which written out as UTF-8 as it is would turn into U+FFFD.
 */
const NEEDS_JSON_ESCAPE = /["\\\x00-\x1f\ud800-\udfff]/;

/**
 * `s` as a JSON string literal: exactly JSON.stringify(s), several times cheaper when
 * nothing needs escaping. For hot loops that write JSON.
 */
export function jsonString(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
