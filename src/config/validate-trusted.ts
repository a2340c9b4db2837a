/**
 * @module config/validate-trusted
 * Top-level `trusted_proxies: [CIDR or address, ...]` (default empty: no peer is trusted).
 * proxy/client-address.ts applies it to X-Forwarded-For and PROXY protocol listeners.
 */
import { isIP } from 'node:net';
import { isSeq } from 'yaml';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';

export const CIDR_RULE = 'must be an IP address or a CIDR range like 10.0.0.0/8 or 2001:db8::/32';

/** "10.0.0.0/8", "192.0.2.7", "2001:db8::/32"; the text kept as written (lower-cased). */
export const cidr: Parse<string> = (value) => {
  if (typeof value !== 'string') return new Invalid(CIDR_RULE);
  const text = value.trim().toLowerCase();
  const [address, bits, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return new Invalid(CIDR_RULE);
  if (bits === undefined) return text;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return new Invalid(`prefix length must be between 0 and ${max}`);
  return `${address}/${Number(bits)}`;
};

/** The list under `trusted_proxies` in `top` (an empty list is allowed: the default). */
export function readTrustedProxies(checker: Checker, top: Block): string[] {
  const e = top.get('trusted_proxies');
  if (e === undefined || (isSeq(e.value) && e.value.items.length === 0)) return [];
  return checker.list(e.value, e.path, 'address').flatMap(({ node, path }) => {
    const c = checker.value(node, path, cidr);
    return c === undefined ? [] : [c];
  });
}
