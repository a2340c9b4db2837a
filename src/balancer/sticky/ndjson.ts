/**
 * @module balancer/sticky/ndjson
 * The one NDJSON codec of session records, for GET /sessions/export, POST /sessions/import
 * and the backup snapshots' sessions.ndjson: one JSON object a line,
 * `{"key":"…","upstream":"web","server":"web-1","expires_at":1700000000000}`, each line
 * ending in "\n". Lines carry their upstream so the tables of every upstream share one file.
 * Writing builds each line by hand (strings quoted by jsonString, exactly as JSON.stringify
 * would); reading parses one line at a time, so a bad line costs only itself, and names
 * it by its line number. Blank lines and a "\r" before the "\n" are ignored.
 */
import { jsonString } from '../../core/format.js';
import { entryProblem, type StickyEntry } from './entry.js';

/** Bad lines kept one by one in Decoded.problems; the rest are only counted. */
export const MAX_LINE_PROBLEMS = 5;

export interface LineProblem {
  /** 1-based line number in the text. */
  readonly line: number;
  readonly problem: string;
}

export interface Decoded {
  /** The good records, in text order. */
  readonly entries: StickyEntry[];
  /** How many lines were bad (not JSON, or not a record: see entryProblem). */
  invalid: number;
  /** The first MAX_LINE_PROBLEMS of them. */
  readonly problems: LineProblem[];
  /** False when the text is not empty and its last line has no "\n" (a cut-off file?). */
  terminated: boolean;
}

/** `line 4: not JSON` */
export const describeProblem = (p: LineProblem): string => `line ${p.line}: ${p.problem}`;

/** One record as one line, ending in "\n". */
export function encodeLine(e: StickyEntry): string {
  return `{"key":${jsonString(e.key)},"upstream":${jsonString(e.upstream)},"server":${jsonString(e.server)},"expires_at":${e.expires_at}}\n`;
}

/** Every record, one line each; "" for none. */
export function encodeNdjson(entries: Iterable<StickyEntry>): string {
  let out = '';
  for (const e of entries) out += encodeLine(e);
  return out;
}

/** One line (without its "\n") as a record, or what is wrong with it. */
export function decodeLine(line: string): StickyEntry | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  // Read alias: snapshots written before the one codec spelled the expiry `expiresAt`
  // (format version 1 allows both), so those files keep restoring. Nothing writes it.
  const r = v as Record<string, unknown>;
  const expiry = typeof v === 'object' && v !== null && !('expires_at' in r) && 'expiresAt' in r ? 'expiresAt' : 'expires_at';
  const problem = entryProblem(v, expiry);
  if (problem !== undefined) return problem;
  return { key: r.key as string, upstream: r.upstream as string, server: r.server as string, expires_at: r[expiry] as number };
}

/**
 * Decodes `text` `linesPerStep` lines at a time, pausing (yielding) after each step so an
 * async caller can give the event loop a turn; returns the result when done.
 */
export function* decodeSteps(text: string, linesPerStep: number): Generator<void, Decoded> {
  const out: Decoded = { entries: [], invalid: 0, problems: [], terminated: true };
  if (text === '') return out;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else out.terminated = false;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % linesPerStep === 0) yield;
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const r = decodeLine(line);
    if (typeof r !== 'string') out.entries.push(r);
    else if (++out.invalid <= MAX_LINE_PROBLEMS) out.problems.push({ line: i + 1, problem: r });
  }
  return out;
}

/** Decodes all of `text` in one go. */
export function decodeNdjson(text: string): Decoded {
  const steps = decodeSteps(text, Number.POSITIVE_INFINITY);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}
