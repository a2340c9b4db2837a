/**
 * @module proxy/target
 * The request target, checked and normalised before routing, and forwarded normalised, so
 * the server acts on exactly the path that was routed. A route on `/public/` must not be
 * reachable as `/public/../secret`, `/public/%2e%2e/secret` or `/public//..//secret`.
 *
 * Rules, in order (README "Security model" lists them for users):
 * - A `#` anywhere is refused: a fragment is never part of a request target (RFC 9112 §3.2).
 * - Only the path is normalised; the query (from the first `?`) is forwarded untouched.
 * - Percent-encodings (RFC 3986 §2.1) must be `%` and two hex digits. Encoded unreserved
 *   characters (letters, digits, `-._~`) are decoded, as §6.2.2.2 says they are equivalent
 *   (so `%2e` is a dot); other encodings are kept, with upper-case hex (§6.2.2.1).
 * - An encoded `/` or `\` (`%2F`, `%5C`), an encoded NUL (`%00`) and a literal `\` are
 *   refused: servers disagree on whether they separate segments, so no one reading of the
 *   path is safe to route on (Apache refuses encoded slashes by default too).
 * - Runs of `/` are merged into one, as nginx's `merge_slashes on` does.
 * - Dot-segments are removed (RFC 3986 §5.2.4); a `..` that would climb above the root is
 *   refused, as nginx does. A dot-segment with parameters (`..;x`, which Tomcat reads as
 *   `..`) is refused.
 */

/** Why a target was refused (the 400 answer's text). */
export class TargetError {
  constructor(readonly reason: string) {}
}

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const BACKSLASH = 92;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function unreserved(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** Decodes encoded unreserved characters and upper-cases the rest; refuses what can't be routed safely. */
function decode(path: string): string | TargetError {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) return new TargetError('backslash in the path');
    if (c !== PERCENT) {
      out += path[i];
      continue;
    }
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return new TargetError('malformed percent-encoding in the path');
    const b = hi * 16 + lo;
    if (b === SLASH || b === BACKSLASH) return new TargetError('encoded slash or backslash in the path');
    if (b === 0) return new TargetError('encoded NUL in the path');
    out += unreserved(b) ? String.fromCharCode(b) : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** Whether a segment is `.` or `..` once parameters (`;...`) are cut off. */
function dotWithParams(seg: string): boolean {
  const semi = seg.indexOf(';');
  if (semi === -1) return false;
  const base = seg.slice(0, semi);
  return base === '.' || base === '..';
}

/** Merges slashes and removes dot-segments from a decoded absolute path. */
function removeDots(path: string): string | TargetError {
  const parts = path.slice(1).split('/');
  const out: string[] = [];
  let trailing = false;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i]!;
    const last = i === parts.length - 1;
    if (seg === '' || seg === '.') {
      trailing = last;
      continue;
    }
    if (seg === '..') {
      if (out.pop() === undefined) return new TargetError('path climbs above the root');
      trailing = last;
      continue;
    }
    if (dotWithParams(seg)) return new TargetError('dot-segment with parameters in the path');
    out.push(seg);
    trailing = false;
  }
  return out.length === 0 ? '/' : `/${out.join('/')}${trailing ? '/' : ''}`;
}

/**
 * Normalises `target.slice(start)`, an origin-form target (`/path?query`); the caller
 * guarantees `target[start] === '/'`. Most targets need nothing: one scan finds that.
 */
export function normalizeOriginForm(target: string, start = 0): string | TargetError {
  if (target.indexOf('#', start) !== -1) return new TargetError('fragment (#) in the request target');
  let end = target.indexOf('?', start);
  if (end === -1) end = target.length;
  let clean = true;
  for (let i = start; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === PERCENT || c === BACKSLASH || (c === SLASH && (target.charCodeAt(i + 1) === SLASH || target.charCodeAt(i + 1) === DOT))) {
      clean = false;
      break;
    }
  }
  if (clean) return start === 0 ? target : target.slice(start);
  const decoded = decode(target.slice(start, end));
  if (decoded instanceof TargetError) return decoded;
  const path = removeDots(decoded);
  if (path instanceof TargetError) return path;
  return path + target.slice(end);
}

/** An absolute-form target's parts (RFC 9112 §3.2.2). */
export interface AbsoluteTarget {
  readonly authority: string;
  readonly path: string;
}

const SCHEME = /^https?:\/\//i;

/** Splits and checks an absolute-form target; refuses userinfo and hosts URL can't parse. */
export function parseAbsoluteForm(target: string): AbsoluteTarget | TargetError {
  const m = SCHEME.exec(target);
  if (m === null) return new TargetError('invalid request target');
  const from = m[0].length;
  let to = from;
  while (to < target.length && !'/?#'.includes(target[to]!)) to++;
  const authority = target.slice(from, to);
  // RFC 9110 §4.2.4: userinfo is deprecated, and `http://a@internal/` reads two ways.
  if (authority.includes('@')) return new TargetError('userinfo (@) in the request target');
  let host: string;
  try {
    host = new URL(`http://${authority}/`).host;
  } catch {
    return new TargetError('invalid request target');
  }
  if (host === '') return new TargetError('invalid request target');
  const rest = target.slice(to);
  const path = normalizeOriginForm(rest.startsWith('/') ? rest : `/${rest}`);
  return path instanceof TargetError ? path : { authority: host, path };
}
