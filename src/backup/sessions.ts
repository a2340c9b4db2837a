/**
 * @module backup/sessions
 * The sticky-session table as NDJSON: one `{"key","upstream","server","expiresAt"}` object per
 * line, each line ending in "\n". Built as one string and parsed with one split, so 100k
 * entries take tens of milliseconds and no per-line I/O.
 */
import { isRecord, type SessionEntry } from './format.js';

/** How many bad lines are named one by one before the rest are counted. */
const MAX_LINE_PROBLEMS = 5;

/** What is wrong with `v` as a session entry, or undefined when it is a good one. */
export function sessionProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return 'must be an object';
  for (const field of ['key', 'upstream', 'server'] as const) {
    if (typeof v[field] !== 'string') return `${field} must be a string`;
  }
  if (typeof v.expiresAt !== 'number' || !Number.isFinite(v.expiresAt)) return 'expiresAt must be a finite number (epoch ms)';
  return undefined;
}

export function encodeSessions(sessions: readonly SessionEntry[]): Buffer {
  const lines = new Array<string>(sessions.length + 1);
  for (let i = 0; i < sessions.length; i++) {
    const e = sessions[i]!;
    // Only the four fields, in a fixed order, whatever else the caller's objects carry.
    lines[i] = JSON.stringify({ key: e.key, upstream: e.upstream, server: e.server, expiresAt: e.expiresAt });
  }
  lines[sessions.length] = '';
  return Buffer.from(sessions.length === 0 ? '' : lines.join('\n'), 'utf8');
}

/** Parses NDJSON text; `file` names the part in problem lines. */
export function decodeSessions(text: string, file: string): { sessions: SessionEntry[]; problems: string[] } {
  const sessions: SessionEntry[] = [];
  const bad: string[] = [];
  if (text.length === 0) return { sessions, problems: [] };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else bad.push(`${file}: last line is not terminated (truncated?)`);
  for (let i = 0; i < lines.length; i++) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch {
      bad.push(`${file}: line ${i + 1}: not JSON`);
      continue;
    }
    const problem = sessionProblem(v);
    if (problem === undefined) sessions.push(v as SessionEntry);
    else bad.push(`${file}: line ${i + 1}: ${problem}`);
  }
  const problems = bad.slice(0, MAX_LINE_PROBLEMS);
  if (bad.length > MAX_LINE_PROBLEMS) problems.push(`${file}: … and ${bad.length - MAX_LINE_PROBLEMS} more bad lines`);
  return { sessions, problems };
}
