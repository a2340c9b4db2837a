/**
 * @module balancer/sticky/entry
 * The one session record: a stick-table entry as it leaves and enters bulwark (GET
 * /sessions/export, POST /sessions/import, backup snapshots, startup restore), and the one
 * check every record passes before a table takes it. Field names are the wire's (as the
 * backup manifest's are), so the record and its NDJSON line spell every field alike.
 * Kept apart from table.ts so that key extraction and the codec need not load the table.
 */

/** Longest key kept; longer ones are refused (stickyKey returns undefined, imports skip them). */
export const MAX_KEY_LENGTH = 256;

export interface StickyEntry {
  readonly key: string;
  /** The upstream whose table holds the pin: one file can carry every upstream's table. */
  readonly upstream: string;
  /** Server name. */
  readonly server: string;
  /** Epoch ms at which the pin expires unless used before. */
  readonly expires_at: number;
}

/** `merge` keeps the table and adds to it; `replace` empties it first. */
export type ImportMode = 'merge' | 'replace';

export interface ImportCounts {
  imported: number;
  /** Skipped: already expired. */
  expired: number;
  /** Skipped: not an entry (see entryProblem). */
  invalid: number;
  /** merge only: skipped because the table's own pin for the key expires later (it is newer). */
  kept: number;
  /** Skipped: the entry belongs to another upstream's table. */
  otherUpstream: number;
}

/**
 * What is wrong with `v` as a session record, or undefined when it is one (its expiry
 * aside). Input may come from a file or a client, so no field is trusted. `expiry` names
 * the field the expiry was read from, for the message (see decodeLine's read alias).
 */
export function entryProblem(v: unknown, expiry = 'expires_at'): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be a JSON object';
  const r = v as Record<string, unknown>;
  for (const field of ['key', 'upstream', 'server'] as const) {
    const s = r[field];
    if (typeof s !== 'string') return `${field} must be a string`;
    if (s === '') return `${field} must not be empty`;
  }
  if ((r.key as string).length > MAX_KEY_LENGTH) return `key is longer than ${MAX_KEY_LENGTH} characters`;
  const e = r[expiry];
  if (typeof e !== 'number' || !Number.isFinite(e)) return `${expiry} must be a finite number (epoch ms)`;
  return undefined;
}

/**
 * The entries a table of `upstream` may take as of `now` (epoch ms), in input order; the
 * others are counted in `counts`: malformed (invalid), another upstream's, already expired.
 */
export function entriesFor(entries: Iterable<StickyEntry>, upstream: string, now: number, counts: ImportCounts): StickyEntry[] {
  const live: StickyEntry[] = [];
  for (const e of entries) {
    if (entryProblem(e) !== undefined) counts.invalid++;
    else if (e.upstream !== upstream) counts.otherUpstream++;
    else if (e.expires_at <= now) counts.expired++;
    else live.push(e);
  }
  return live;
}
