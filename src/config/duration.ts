/**
 * @module config/duration
 * Human-friendly durations ("500ms", "2s", "1.5m", "7d"), sizes ("16kb", "10mb") and percentages
 * ("10%") as they are written in bulwark.yaml, turned into the milliseconds, bytes and
 * fractions the rest of the code uses. Kept apart from validation so the CLI can parse the
 * same spellings in flags.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// kib, mib, gib: the IEC spellings of the same 1024-based units ("1MiB", as Kubernetes and systemd write them).
const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * The longest duration config accepts: 596h, just under the 2^31-1 ms (about 24.8 days) that
 * Node.js timers allow; a longer timer fires at once, which would turn a timeout into a kill.
 */
export const MAX_DURATION_MS = 596 * 3_600_000;

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)(b|kb|kib|mb|mib|gb|gib)$/i;
const PERCENT_RE = /^(\d+(?:\.\d+)?)%$/;

/**
 * Parses "500ms", "2s", "1m", "1h", "7d" or a decimal such as "1.5s" into whole milliseconds
 * (rounded). Returns undefined for anything else, bare numbers included: a unit is required
 * so that "timeout: 30" can never be read as 30ms by one person and 30s by another.
 */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] as string] as number));
}

/**
 * Parses a size: a non-negative integer number of bytes, or a string "512b", "16kb", "10mb",
 * "1gb" (1024-based, unit case-insensitive, decimals allowed and rounded to whole bytes).
 * Returns undefined for anything else.
 */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SIZE_RE.exec(value.trim());
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Parses a percentage "10%" or "12.5%" into a fraction (0.1, 0.125). Returns undefined for
 * anything else, bare numbers included: "jitter: 10" could mean 10% or 10 times, and 0.1
 * could mean 10% or 0.1%, so the % sign is required. No upper limit here; callers check ranges.
 */
export function parsePercent(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = PERCENT_RE.exec(text.trim());
  return m ? Number(m[1]) / 100 : undefined;
}

export { formatDuration } from '../core/format.js';
