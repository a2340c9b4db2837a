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
import { requestCookie } from '../sticky/key.js';
import type { HashKey } from '../../core/config.js';
import type { PickContext } from '../scheduler.js';

export type KeyExtractor = (ctx: PickContext) => string | undefined;

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
  // One cookie scanner for the whole balancer: sticky sessions' (quoted values, several
  // Cookie headers, matches never taken from inside another cookie's value).
  return (ctx) => requestCookie(ctx.headers?.cookie as string | string[] | undefined, name);
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
