/**
 * @module config/validate-route-split
 * Where a route sends its requests: one `upstream`, or a weighted `split` across several
 * (a canary), optionally kept per client by `split_sticky`. Exactly one of `upstream` and
 * `split` is written; every name must be a defined upstream, listed once, with a positive
 * integer weight.
 */
import type { RouteConfig, SplitSticky, SplitTarget } from '../core/config.js';
import { didYouMean } from './suggest.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { fieldName, integer } from './validate-values.js';

/** The route keys read here beside `upstream`. */
export const SPLIT_KEYS = ['split', 'split_sticky'] as const;

const TARGET_KEYS = ['upstream', 'weight'] as const;
/** Large enough for percentages with decimals (9990 / 10); small enough that totals stay exact. */
const weight = integer({ min: 1, max: 1_000_000 });
const STICKY_FORMS = ['cookie:NAME', 'header:NAME'];
const cookieName = fieldName('cookie', 'cookie name ');
const headerName = fieldName('header', 'header name ');

/** "cookie:NAME" or "header:NAME". */
export const splitSticky: Parse<SplitSticky> = (value) => {
  const m = typeof value === 'string' ? /^(cookie|header):(.*)$/.exec(value) : null;
  if (m === null) return new Invalid(`must be cookie:NAME or header:NAME${typeof value === 'string' ? didYouMean(value, STICKY_FORMS) : ''}`);
  const kind = m[1] as SplitSticky['kind'];
  const name = (kind === 'cookie' ? cookieName : headerName)(m[2]);
  return name instanceof Invalid ? name : { kind, name };
};

export type RouteTarget = Pick<RouteConfig, 'upstream' | 'split' | 'split_sticky'>;

function readSplit(checker: Checker, r: Block, ref: Parse<string>): SplitTarget[] | undefined {
  const e = r.get('split')!;
  const out: SplitTarget[] = [];
  let ok = true;
  for (const item of checker.list(e.value, e.path, 'upstream')) {
    const b = checker.block(item.node, item.path, TARGET_KEYS);
    const upstream = b?.require('upstream', ref);
    const w = b?.require('weight', weight);
    if (upstream === undefined || w === undefined) ok = false;
    else if (out.some((t) => t.upstream === upstream)) {
      checker.report(b!.get('upstream')!.value, `${item.path}.upstream`, `upstream "${upstream}" is already in this split; list each once`);
      ok = false;
    } else out.push({ upstream, weight: w });
  }
  return ok && out.length > 0 ? out : undefined;
}

/**
 * Reads `upstream`, or `split` and `split_sticky`; undefined when they are invalid (reported).
 * @param ref checks an upstream name against those defined.
 */
export function readRouteTarget(checker: Checker, r: Block, ref: Parse<string>): RouteTarget | undefined {
  const split = r.get('split');
  if (split === undefined) {
    const sticky = r.get('split_sticky');
    if (sticky !== undefined) checker.report(sticky.key, sticky.path, 'only applies with split');
    const upstream = r.require('upstream', ref);
    return upstream === undefined ? undefined : { upstream, split: undefined, split_sticky: undefined };
  }
  const both = r.get('upstream');
  if (both !== undefined) {
    checker.report(both.key, both.path, 'a route has either upstream or split, not both');
    return undefined;
  }
  const targets = readSplit(checker, r, ref);
  const split_sticky = r.read<SplitSticky | undefined>('split_sticky', splitSticky, undefined);
  return targets === undefined ? undefined : { upstream: undefined, split: targets, split_sticky };
}
