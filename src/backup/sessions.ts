/**
 * @module backup/sessions
 * A snapshot's sessions part: the session records in the one NDJSON codec
 * (balancer/sticky/ndjson), as bytes to store and back. Reading names each bad line with
 * the part's file, and an unterminated last line: a part we wrote always ends in "\n".
 */
import { decodeNdjson, describeProblem, encodeNdjson, type StickyEntry } from '../balancer/sticky/index.js';

export function encodeSessions(sessions: readonly StickyEntry[]): Buffer {
  return Buffer.from(encodeNdjson(sessions), 'utf8');
}

/** Parses the part's text; `file` names the part in problem lines. */
export function decodeSessions(text: string, file: string): { sessions: StickyEntry[]; problems: string[] } {
  const d = decodeNdjson(text);
  const problems = d.problems.map((p) => `${file}: ${describeProblem(p)}`);
  if (d.invalid > d.problems.length) problems.push(`${file}: … and ${d.invalid - d.problems.length} more bad lines`);
  if (!d.terminated) problems.unshift(`${file}: last line is not terminated (truncated?)`);
  return { sessions: d.entries, problems };
}
