/**
 * @module balancer/consistent-hash/key
 * Turns a HashKey into a function that extracts the affinity key from a PickContext:
 * `ip` → the client IP; `header:NAME` → that header (the first value if repeated);
 * `cookie:NAME` → that cookie's value from the Cookie header; `path` → the path without
 * the query string. The extractor is built once per scheduler, so picks allocate nothing
 * beyond the substring of the key itself.
 *
 * Returns undefined when the key is missing or empty; the caller must then fall back (the
 * scheduler picks at random). Header names must be lower-case, as Node delivers them and
 * as config/ normalises them. Cookie names are case-sensitive (RFC 6265).
 */
import type { HashKey } from '../../core/config.js';
import type { PickContext } from '../scheduler.js';

export type KeyExtractor = (ctx: PickContext) => string | undefined;

const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

const byIp: KeyExtractor = (ctx) => nonEmpty(ctx.clientIp);

const byPath: KeyExtractor = (ctx) => {
  const path = ctx.path;
  if (path === undefined) return undefined;
  const q = path.indexOf('?');
  return nonEmpty(q < 0 ? path : path.slice(0, q));
};

function byHeader(name: string): KeyExtractor {
  return (ctx) => {
    const v = ctx.headers?.[name];
    return nonEmpty(typeof v === 'string' ? v : v?.[0]);
  };
}

function byCookie(name: string): KeyExtractor {
  const needle = `${name}=`;
  return (ctx) => {
    const cookie = ctx.headers?.cookie;
    return cookie === undefined ? undefined : cookieValue(cookie, needle);
  };
}

/** True when a cookie pair starts at `at`: only blanks between it and the start or a ';'. */
function startsPair(cookie: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0) {
    const c = cookie.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i--;
  }
  return i < 0 || cookie.charCodeAt(i) === SEMICOLON;
}

/** The value of the cookie whose pair starts with `needle` ("name="), trimmed. */
function cookieValue(cookie: string, needle: string): string | undefined {
  for (let at = cookie.indexOf(needle); at >= 0; at = cookie.indexOf(needle, at + 1)) {
    if (!startsPair(cookie, at)) continue;
    const start = at + needle.length;
    const end = cookie.indexOf(';', start);
    return nonEmpty(cookie.slice(start, end < 0 ? cookie.length : end).trim());
  }
  return undefined;
}

export function keyExtractor(hashKey: HashKey): KeyExtractor {
  switch (hashKey.kind) {
    case 'ip':
      return byIp;
    case 'path':
      return byPath;
    case 'header':
      return byHeader(hashKey.name);
    case 'cookie':
      return byCookie(hashKey.name);
  }
}
