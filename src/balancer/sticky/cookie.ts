/**
 * @module balancer/sticky/cookie
 * The cookie side of affinity. `cookie` mode (HAProxy `cookie NAME insert`): bulwark mints
 * an opaque session id and sends it with setCookieHeader(). `learn` mode (HAProxy
 * `stick store-response res.cook(NAME)`): the application mints its own session cookie and
 * learnFromSetCookie() picks its value out of the response, so the next request carrying
 * that cookie goes back to the same server.
 *
 * Session ids are 16 random bytes (128 bits), base64url: unguessable, so a client cannot
 * aim itself at a server by inventing one that is pinned. Bytes come from the CSPRNG in
 * batches of 256 ids (one randomFillSync per batch, not one per id). The caller must only
 * pass setCookieHeader() names and values made of cookie octets: a validated config name
 * and a newSessionId() value are; nothing is escaped here.
 */
import { randomFillSync } from 'node:crypto';
import { cookieValue } from './key.js';

const ID_BYTES = 16;
const pool = Buffer.allocUnsafeSlow(ID_BYTES * 256);
let offset = pool.length;

/** A fresh opaque session id: 22 base64url characters. */
export function newSessionId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

export interface SessionCookieOptions {
  /** Adds `Secure` (send it for https front ends only). */
  readonly secure: boolean;
  /** Max-Age in seconds; fractions are dropped, negatives become 0. */
  readonly maxAgeSec: number;
}

/** The Set-Cookie value for the session cookie: `name=value; Path=/; HttpOnly; SameSite=Lax[; Secure]; Max-Age=N`. */
export function setCookieHeader(name: string, value: string, options: SessionCookieOptions): string {
  const secure = options.secure ? '; Secure' : '';
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${secure}; Max-Age=${Math.max(0, Math.floor(options.maxAgeSec))}`;
}

/**
 * The value the response sets for cookie `name`, or undefined when it sets none. With
 * several Set-Cookie headers for the name, the last one decides, as in a browser; one that
 * deletes the cookie (empty value, Max-Age <= 0, or, without Max-Age, an Expires not after
 * `now`) yields undefined. `now` is epoch ms.
 */
export function learnFromSetCookie(setCookie: string | string[] | undefined, name: string, now = Date.now()): string | undefined {
  if (setCookie === undefined) return undefined;
  if (typeof setCookie === 'string') return learnOne(setCookie, name, now) ?? undefined;
  let learnt: string | null | undefined;
  for (const h of setCookie) {
    const r = learnOne(h, name, now);
    if (r !== undefined) learnt = r;
  }
  return learnt ?? undefined;
}

/** The value one Set-Cookie sets for `name`; null when it deletes it; undefined when it is about another cookie. */
function learnOne(header: string, name: string, now: number): string | null | undefined {
  let i = 0;
  while (header.charCodeAt(i) === 0x20 || header.charCodeAt(i) === 0x09) i++;
  if (!header.startsWith(name, i) || header.charCodeAt(i + name.length) !== 0x3d) return undefined;
  let end = header.indexOf(';', i);
  if (end < 0) end = header.length;
  const value = cookieValue(header, i + name.length + 1, end);
  return value === undefined || deletes(header.slice(end + 1), now) ? null : value;
}

/** Whether the attributes ("Path=/; Max-Age=0") expire the cookie at once (RFC 6265 5.2.1-2). */
function deletes(attributes: string, now: number): boolean {
  let expires: string | undefined;
  for (const av of attributes.split(';')) {
    const eq = av.indexOf('=');
    const key = (eq < 0 ? av : av.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? '' : av.slice(eq + 1).trim();
    // Max-Age wins over Expires; one that is not an integer is ignored.
    if (key === 'max-age' && /^-?\d+$/.test(val)) return Number(val) <= 0;
    if (key === 'expires') expires = val;
  }
  const at = expires === undefined ? NaN : Date.parse(expires);
  return !Number.isNaN(at) && at <= now;
}
