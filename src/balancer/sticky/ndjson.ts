/**
 * @module balancer/sticky/ndjson
 * The stick tables' interchange format, for backups and restores: one JSON object a line,
 * `{"key":"…","upstream":"web","server":"web-1","expires_at":1700000000000}`, with
 * `expires_at` in epoch ms. Lines carry their upstream so the tables of every upstream can
 * share one file; each table reads only its own lines. Writing builds each line by hand
 * (strings quoted by jsonString); reading parses one line at a time, so a
 * bad line costs only itself. Callers get counts, never an exception, for bad input.
 */
import { jsonString } from '../../core/format.js';
import type { StickyEntry } from './entry.js';

export interface ParsedNdjson {
  /** This upstream's entries, in file order; not yet checked for expiry or key length. */
  readonly entries: StickyEntry[];
  /** Lines that are not JSON objects with string key, upstream and server and a number expires_at. */
  readonly invalid: number;
  /** Well-formed lines of other upstreams. */
  readonly otherUpstream: number;
}

/** One line per entry, each ending in "\n"; "" for none. */
export function toNdjson(upstream: string, entries: Iterable<StickyEntry>): string {
  const u = jsonString(upstream);
  let out = '';
  for (const e of entries) out += ndjsonLine(u, e.key, e.server, e.expiresAt);
  return out;
}

/** One line, ending in "\n". `upstreamJson` is the upstream name already as a JSON string (jsonString). */
export function ndjsonLine(upstreamJson: string, key: string, server: string, expiresAt: number): string {
  return `{"key":${jsonString(key)},"upstream":${upstreamJson},"server":${jsonString(server)},"expires_at":${expiresAt}}\n`;
}

/** The entries of `upstream` in NDJSON text; blank lines (and a trailing "\r") are ignored. */
export function parseNdjson(text: string, upstream: string): ParsedNdjson {
  const entries: StickyEntry[] = [];
  let invalid = 0;
  let otherUpstream = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const v = parseLine(line);
    if (v === undefined) invalid++;
    else if (v.upstream !== upstream) otherUpstream++;
    else entries.push({ key: v.key, server: v.server, expiresAt: v.expires_at });
  }
  return { entries, invalid, otherUpstream };
}

interface Line {
  readonly key: string;
  readonly upstream: string;
  readonly server: string;
  readonly expires_at: number;
}

function parseLine(line: string): Line | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { key, upstream, server, expires_at } = v as Partial<Record<keyof Line, unknown>>;
  const ok = typeof key === 'string' && typeof upstream === 'string' && typeof server === 'string' && typeof expires_at === 'number';
  return ok ? (v as Line) : undefined;
}
