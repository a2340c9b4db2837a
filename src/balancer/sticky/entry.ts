/**
 * @module balancer/sticky/entry
 * The shapes stick tables exchange with the outside (export, import, backups) and the one
 * check every imported entry passes. Kept apart from table.ts so that key extraction and
 * the NDJSON codec can share them without depending on the table.
 */

/** Longest key kept; longer ones are refused (stickyKey returns undefined, imports skip them). */
export const MAX_KEY_LENGTH = 256;

export interface StickyEntry {
  readonly key: string;
  /** Server name. */
  readonly server: string;
  /** Epoch ms at which the pin expires unless used before. */
  readonly expiresAt: number;
}

/** `merge` keeps the table and adds to it; `replace` empties it first. */
export type ImportMode = 'merge' | 'replace';

export interface ImportCounts {
  imported: number;
  /** Skipped: already expired. */
  expired: number;
  /** Skipped: not an entry (not JSON, a field missing or mistyped, an empty or over-long key). */
  invalid: number;
  /** merge only: skipped because the table's own pin for the key expires later (it is newer). */
  kept: number;
  /** NDJSON only: skipped because the line belongs to another upstream's table. */
  otherUpstream: number;
}

/** Whether `e` is an entry worth importing (its expiry aside); input may come from a file, so no field is trusted. */
export const isEntry = (e: StickyEntry): boolean =>
  typeof e === 'object' &&
  e !== null &&
  typeof e.key === 'string' &&
  e.key !== '' &&
  e.key.length <= MAX_KEY_LENGTH &&
  typeof e.server === 'string' &&
  e.server !== '' &&
  Number.isFinite(e.expiresAt);
