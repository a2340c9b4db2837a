/**
 * @module config/validate-routes
 * Validation of the `routes:` list: each route's match block and the upstream it names (or
 * the upstreams of its split: validate-route-split.ts), which must be defined under
 * `upstreams:` (the cross-check that catches a renamed or misspelt upstream before the first
 * request does).
 */
import type { RouteConfig } from '../core/config.js';
import { didYouMean } from './suggest.js';
import { Invalid } from './validate-context.js';
import { readRateLimit } from './validate-rate.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { pathPrefix, routeHost } from './validate-values.js';
import { RULE_KEYS, readRouteRules } from './validate-route-rules.js';
import { SPLIT_KEYS, readRouteTarget } from './validate-route-split.js';

const ROUTE_KEYS = ['match', 'upstream', 'rate_limit'] as const;
const MATCH_KEYS = ['host', 'path_prefix'] as const;

/** A reference to a defined upstream. With none defined, any name passes: that is reported once, elsewhere. */
function upstreamRef(names: readonly string[]): Parse<string> {
  return (value) => {
    if (typeof value !== 'string') return new Invalid('must be the name of an upstream');
    if (names.length === 0 || names.includes(value)) return value;
    return new Invalid(`unknown upstream "${value}"; defined: ${names.join(', ')}${didYouMean(value, names)}`);
  };
}

/** Reads the routes in order (first match wins); `upstreams` are the names defined in the file. */
export function readRoutes(checker: Checker, top: Block, upstreams: Iterable<string>): RouteConfig[] {
  const entry = top.need('routes');
  if (!entry) return [];
  const ref = upstreamRef([...upstreams]);
  return checker.list(entry.value, entry.path, 'route').flatMap((item) => {
    const r = checker.block(item.node, item.path, [...ROUTE_KEYS, ...SPLIT_KEYS, ...RULE_KEYS]);
    if (!r) return [];
    const match = r.child('match', MATCH_KEYS);
    const host = match.read<string | undefined>('host', routeHost, undefined);
    const path_prefix = match.read<string | undefined>('path_prefix', pathPrefix, undefined);
    const target = readRouteTarget(checker, r, ref);
    const rules = readRouteRules(checker, r);
    const rate_limit = readRateLimit(r);
    return target === undefined ? [] : [{ host, path_prefix, ...target, ...rules, ...(rate_limit && { rate_limit }) }];
  });
}
