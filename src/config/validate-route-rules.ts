/**
 * @module config/validate-route-rules
 * What a route does to the requests it matches, beside choosing the upstream: its path
 * rewriting (`strip_prefix`, `add_prefix`), its header rewriting (`headers`, read in
 * validate-route-headers.ts) and its own body limit (`max_body_size`). The prefixes are compared with, and put into,
 * the normalised path (proxy/target.ts), so they are written normalised too: no "%", no
 * empty or dot segment.
 */
import type { RouteConfig } from '../core/config.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { readRouteHeaders } from './validate-route-headers.js';
import { size } from './validate-values.js';

/** The route keys read here. */
export const RULE_KEYS = ['strip_prefix', 'add_prefix', 'headers', 'max_body_size'] as const;

/** RFC 3986 pchar without percent-encodings, plus "/". */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/** A path prefix to strip or add: "/api", "/v2/". */
export const routePath: Parse<string> = (value) => {
  if (typeof value !== 'string' || !value.startsWith('/')) return new Invalid('must be a path starting with "/", like /api');
  if (value === '/') return new Invalid('must name at least one segment ("/" alone changes nothing)');
  if (!PATH_CHARS.test(value)) return new Invalid('may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)');
  const segments = value.slice(1, value.endsWith('/') ? -1 : undefined).split('/');
  if (segments.includes('')) return new Invalid('must not contain "//"');
  if (segments.some((s) => s === '.' || s === '..')) return new Invalid('must not contain "." or ".." segments');
  return value;
};

export type RouteRules = Pick<RouteConfig, 'strip_prefix' | 'add_prefix' | 'headers' | 'max_body_size'>;

/** Reads the rule keys of one route block. */
export function readRouteRules(checker: Checker, r: Block): RouteRules {
  return {
    strip_prefix: r.read<string | undefined>('strip_prefix', routePath, undefined),
    add_prefix: r.read<string | undefined>('add_prefix', routePath, undefined),
    headers: readRouteHeaders(checker, r),
    max_body_size: r.read<number | undefined>('max_body_size', size(0, '0'), undefined),
  };
}
