/**
 * @module config/suggest
 * "Did you mean …?" for config typos: finds the known word nearest to a misspelt key,
 * enum value or upstream name by edit distance, or the one another proxy's name stands for
 * (config/aliases), so a message can name the likely intent.
 */
import { aliasesOf } from './aliases.js';

/** The candidate closest to word when it is near enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = word.length < 5 ? 2 : 3;
  for (const c of candidates) {
    // The distance is at least the length difference: skip without the O(n·m) table (a 1 MiB key).
    if (Math.abs(word.length - c.length) >= bestDistance) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/**
 * " (did you mean "x"?)" when there is a likely intended candidate, else "". Another proxy's
 * name for a candidate (config/aliases) comes first, saying whose name it is; then the
 * nearest candidate by edit distance.
 * @param at for an unknown key, the path of the mapping it is in ("upstreams.web"), so an
 *   alias can point into a block below it; omitted for values.
 */
export function didYouMean(word: string, candidates: Iterable<string>, at?: string): string {
  const list = [...candidates];
  for (const { target, from } of aliasesOf(word)) {
    const [to, note] = typeof target === 'string' ? [target, ''] : [target.to, ` ${target.note}`];
    const found = resolve(to, list, at);
    if (found === undefined) continue;
    // Whose name it is, unless it is bulwark's too, only in another block (HAProxy's rise).
    const whose = from && !found.startsWith(`"${word}"`) ? ` "${word}" is ${from}'s name` : '';
    return ` (did you mean ${found}${note}?${whose})`;
  }
  const guess = closest(word, list);
  return guess === undefined ? '' : ` (did you mean "${guess}"?)`;
}

/**
 * `to` as the user would write it in the mapping at `at`, quoted; undefined when it does not
 * belong there. A plain name is offered wherever it is a candidate; a full key path inside
 * its own mapping, or as "key under block" from a mapping above it.
 */
function resolve(to: string, candidates: readonly string[], at: string | undefined): string | undefined {
  if (!/[.[]/.test(to)) return candidates.includes(to) ? `"${to}"` : undefined;
  if (at === undefined) return undefined;
  // "upstreams.web.servers[0]" → "upstreams.*.servers[]", the form alias paths are written in.
  const here = at.replace(/^upstreams(?:\.[^.[]+|\[".*?"\])/, 'upstreams.*').replace(/\[\d+\]/g, '[]');
  const prefix = here === '' ? '' : `${here}.`;
  if (!to.startsWith(prefix)) return undefined;
  const rest = to.slice(prefix.length);
  const first = rest.split(/[.[]/)[0] as string;
  if (!candidates.includes(first)) return undefined;
  const dot = rest.lastIndexOf('.');
  return dot === -1 ? `"${rest}"` : `"${rest.slice(dot + 1)}" under ${rest.slice(0, dot).replace(/\[\]/g, '')}`;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("wbe" → "web" is 1). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}
