/**
 * @module core/format
 * Human-readable formatting shared by config errors and state-change reasons.
 */

/** Formats milliseconds the way they are written in config ("1500ms", "2s", "5m"), for messages. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Characters a JSON string must escape (RFC 8259 §7). */
const NEEDS_JSON_ESCAPE = /["\\\x00-\x1f]/;

/**
 * `s` as a JSON string literal, several times cheaper than JSON.stringify(s) when nothing
 * needs escaping: for hot loops that write JSON. The same result as JSON.stringify for any
 * string without lone surrogates (Node's header and URL strings are latin1: none there).
 */
export function jsonString(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
