/**
 * @module config/validate-percent
 * Parsers for percentages. Written with the % sign ("10%", "12.5%") they are unambiguous;
 * a bare number is not (0.5 could mean 50% or 0.5%), so it is refused with a message that
 * says what to write, except under a key whose name ends in `_percent`, which says itself
 * that its number is a percentage (Envoy's max_ejection_percent: 50).
 */
import { parsePercent } from './duration.js';
import { Invalid } from './validate-context.js';
import type { Parse } from './validate-context.js';

export const PERCENT_RULE = 'must be a percentage like 10% or 12.5%';
export const PERCENT_KEY_RULE = 'must be a percentage like 50 or 50% (a number, or with the % sign)';

/**
 * A percentage within `range` (given in percent, as written), as a fraction: "10%" → 0.1.
 * The % sign is required: a bare 0.5 could mean 50% or 0.5%. Only a key whose name ends in
 * `_percent` says which (see percentKey), so only there is a bare number accepted.
 */
export function percent(range: { readonly min: number; readonly max: number }): Parse<number> {
  return (value) => {
    const fraction = parsePercent(value);
    if (fraction === undefined) return new Invalid(typeof value === 'number' && value >= 0 && Number.isFinite(value) ? bareNumberRule(value) : PERCENT_RULE);
    return fraction >= range.min / 100 && fraction <= range.max / 100 ? fraction : new Invalid(`must be between ${range.min}% and ${range.max}%`);
  };
}

/** How to write the bare number `n` where the % sign is required: its percentage, and for n ≤ 1 the fraction too. */
function bareNumberRule(n: number): string {
  const sign = 'must be a percentage with the % sign:';
  if (n === 0 || n > 1) return `${sign} write ${n}% (a bare number could be a fraction or a percentage)`;
  return `${sign} write ${Number((n * 100).toPrecision(12))}% for the fraction ${n}, or ${n}% (a bare number could be either)`;
}

/**
 * For a key named `*_percent` (max_ejection_percent, as Envoy spells it): the name says
 * the number is a percentage, so a bare 50 is 50%, as is "50%". Read as a fraction (0.5).
 */
export function percentKey(range: { readonly min: number; readonly max: number }): Parse<number> {
  const withSign = percent(range);
  return (value) => {
    if (typeof value === 'number') return value >= range.min && value <= range.max ? value / 100 : new Invalid(`must be between ${range.min} and ${range.max} (a percentage)`);
    const fraction = withSign(value);
    return fraction instanceof Invalid && fraction.rule === PERCENT_RULE ? new Invalid(PERCENT_KEY_RULE) : fraction;
  };
}
