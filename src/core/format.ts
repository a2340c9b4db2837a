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
