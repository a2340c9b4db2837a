/**
 * @module balancer/sticky/key
 * The session key of a request, per sticky mode: `cookie` and `learn` read a cookie (the one
 * bulwark inserted, or the application's own), `header` a request header (its first value
 * when repeated), `ip` the client address. Called on every request of a sticky upstream, so
 * the Cookie header is scanned pair by pair in place, with no map of all cookies: the only
 * allocation is the value returned.
 *
 * Returns undefined when there is no usable key (absent, empty, or longer than
 * MAX_KEY_LENGTH, so clients cannot fill the table with huge keys); the caller then picks
 * with the scheduler. The caller must pass header names lower-case, as Node delivers them
 * and config/ normalises `name`. Cookie names are case-sensitive (RFC 6265).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { StickyConfig } from '../../core/config.js';
import { MAX_KEY_LENGTH } from './entry.js';

export interface StickyRequest {
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string | undefined;
}

const SP = 0x20;
const TAB = 0x09;
const EQ = 0x3d;
const DQUOTE = 0x22;

const isBlank = (c: number): boolean => c === SP || c === TAB;

export function stickyKey(config: StickyConfig, req: StickyRequest): string | undefined {
  const name = config.name;
  switch (config.mode) {
    case 'ip':
      return usable(req.clientIp);
    case 'header': {
      const v = name === undefined ? undefined : req.headers[name];
      return usable(typeof v === 'string' ? v : v?.[0]);
    }
    case 'cookie':
    case 'learn':
      return name === undefined ? undefined : requestCookie(req.headers.cookie as string | string[] | undefined, name);
  }
}

function usable(s: string | undefined): string | undefined {
  return s === undefined || s === '' || s.length > MAX_KEY_LENGTH ? undefined : s;
}

/** The value of cookie `name` in one or more Cookie headers: the first pair with that name wins. */
export function requestCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header === 'string') return cookieIn(header, name);
  if (header === undefined) return undefined;
  for (const h of header) {
    const v = cookieIn(h, name);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Scans "a=1; b=2" pair by pair; a match inside another cookie's value is never taken. */
function cookieIn(header: string, name: string): string | undefined {
  const n = name.length;
  let i = 0;
  while (i < header.length) {
    while (isBlank(header.charCodeAt(i))) i++;
    let end = header.indexOf(';', i);
    if (end < 0) end = header.length;
    if (header.charCodeAt(i + n) === EQ && header.startsWith(name, i)) return cookieValue(header, i + n + 1, end);
    i = end + 1;
  }
  return undefined;
}

/**
 * The cookie value between `start` and `end` of `text`: blanks around it and one pair of
 * double quotes removed (RFC 6265 allows a quoted value); undefined when empty or too long.
 */
export function cookieValue(text: string, start: number, end: number): string | undefined {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (end - start >= 2 && text.charCodeAt(start) === DQUOTE && text.charCodeAt(end - 1) === DQUOTE) {
    start++;
    end--;
  }
  return start === end || end - start > MAX_KEY_LENGTH ? undefined : text.slice(start, end);
}
