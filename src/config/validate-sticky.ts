/**
 * @module config/validate-sticky
 * Validation of an upstream's `sticky:` block (session affinity). Absent, there is no
 * affinity; written (even empty), it is on with the defaults of defaults.ts. What `name`
 * means depends on `mode`: the cookie bulwark inserts (cookie, has a default), the
 * application's session cookie (learn, required), the request header (header, required,
 * lower-cased); with ip there is nothing to name, so `name` is refused.
 */
import { STICKY_MODES } from '../core/config.js';
import type { StickyConfig, StickyMode } from '../core/config.js';
import { DEFAULT_STICKY, MAX_ENTRIES_RANGE } from './defaults.js';
import type { Block, Checker } from './validate-context.js';
import { duration, fieldName, integer, oneOf } from './validate-values.js';

const KEYS = ['mode', 'name', 'ttl', 'max_entries'] as const;

const REQUIRED: Partial<Record<StickyMode, string>> = {
  learn: "is required when mode is learn: the application's session cookie to learn, e.g. JSESSIONID",
  header: 'is required when mode is header: the request header that carries the session key',
};

/** The upstream's sticky block; undefined when it is absent. */
export function readSticky(checker: Checker, upstream: Block): StickyConfig | undefined {
  const block = upstream.feature('sticky', KEYS);
  if (!block) return undefined;
  // Read directly (not with a fallback) so an invalid mode does not also flag name.
  const m = block.get('mode');
  const mode = m ? checker.value(m.value, m.path, oneOf(STICKY_MODES)) : DEFAULT_STICKY.mode;
  return {
    mode: mode ?? DEFAULT_STICKY.mode,
    name: readName(checker, block, mode),
    ttl: block.read('ttl', duration, DEFAULT_STICKY.ttl),
    max_entries: block.read('max_entries', integer(MAX_ENTRIES_RANGE), DEFAULT_STICKY.max_entries),
  };
}

/** `name` as `mode` wants it; `mode` is undefined when it was invalid (name is then only parsed). */
function readName(checker: Checker, block: Block, mode: StickyMode | undefined): string | undefined {
  const e = block.get('name');
  if (mode === 'ip') {
    if (e) checker.report(e.key, e.path, 'is only allowed when mode is cookie, learn or header (with ip the client address is the key)');
    return undefined;
  }
  const parse = fieldName(mode === 'header' ? 'header' : 'cookie');
  if (mode === 'cookie') return block.read('name', parse, DEFAULT_STICKY.name);
  const rule = mode && REQUIRED[mode];
  const entry = rule ? block.need('name', rule) : e;
  return entry && checker.value(entry.value, entry.path, parse);
}
