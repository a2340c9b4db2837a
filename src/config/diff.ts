/**
 * @module config/diff
 * What a reload changes, computed from two validated configs. The apply step uses it to
 * skip unchanged configs, to report settings that only take effect after a restart, and
 * to say in the log what changed. Configs are plain data (plus the upstream Map), so
 * comparisons are structural.
 */
import type { BulwarkConfig, UpstreamConfig } from '../core/config.js';

/** Settings that are bound at start-up; changing one is reported, not applied. */
export const RESTART_KEYS = ['admin.listen', 'admin.token_env', 'front.max_header_size'] as const;

export interface ConfigDiff {
  /** False when the configs are equivalent (e.g. only comments changed). */
  readonly changed: boolean;
  readonly restartRequired: readonly string[];
  readonly listenChanged: boolean;
  readonly upstreams: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  readonly routesChanged: boolean;
  /** One human-readable line per change, for logs and the /reload answer. */
  readonly summary: readonly string[];
}

/** A canonical JSON form: the upstream Map becomes an ordered list. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function get(c: BulwarkConfig, key: (typeof RESTART_KEYS)[number]): unknown {
  switch (key) {
    case 'admin.listen':
      return c.admin.listen;
    case 'admin.token_env':
      return c.admin.token_env;
    case 'front.max_header_size':
      return c.front.max_header_size;
  }
}

function describeUpstream(a: UpstreamConfig, b: UpstreamConfig): string {
  const keys = (Object.keys(b) as Array<keyof UpstreamConfig>).filter((k) => k !== 'servers' && !same(a[k], b[k]));
  const before = new Map(a.servers.map((s) => [s.name, s]));
  const after = new Map(b.servers.map((s) => [s.name, s]));
  const added = [...after.keys()].filter((n) => !before.has(n));
  const removed = [...before.keys()].filter((n) => !after.has(n));
  const changed = [...after.keys()].filter((n) => before.has(n) && !same(before.get(n), after.get(n)));
  const parts: string[] = [];
  if (keys.length > 0) parts.push(`settings ${keys.join(', ')}`);
  if (added.length > 0) parts.push(`servers added ${added.join(', ')}`);
  if (removed.length > 0) parts.push(`servers removed ${removed.join(', ')}`);
  if (changed.length > 0) parts.push(`servers changed ${changed.join(', ')}`);
  return `upstream ${b.name}: ${parts.join('; ')}`;
}

export function diffConfig(a: BulwarkConfig, b: BulwarkConfig): ConfigDiff {
  const summary: string[] = [];
  const restartRequired = RESTART_KEYS.filter((k) => !same(get(a, k), get(b, k)));
  for (const k of restartRequired) summary.push(`${k} changed: needs a restart to take effect`);
  const listenChanged = !same(a.listen, b.listen);
  if (listenChanged) summary.push('listen addresses changed');
  const added = [...b.upstreams.keys()].filter((n) => !a.upstreams.has(n));
  const removed = [...a.upstreams.keys()].filter((n) => !b.upstreams.has(n));
  const changed = [...b.upstreams.keys()].filter((n) => a.upstreams.has(n) && !same(a.upstreams.get(n), b.upstreams.get(n)));
  for (const n of added) summary.push(`upstream ${n} added`);
  for (const n of removed) summary.push(`upstream ${n} removed`);
  for (const n of changed) summary.push(describeUpstream(a.upstreams.get(n)!, b.upstreams.get(n)!));
  const routesChanged = !same(a.routes, b.routes);
  if (routesChanged) summary.push('routes changed');
  if (!same(a.log, b.log)) summary.push('log settings changed');
  if (!same(a.backup, b.backup)) summary.push('backup settings changed');
  if (!same({ ...a.front, max_header_size: 0 }, { ...b.front, max_header_size: 0 })) summary.push('front limits or timeouts changed');
  return {
    changed: !same(a, b),
    restartRequired,
    listenChanged,
    upstreams: { added, removed, changed },
    routesChanged,
    summary,
  };
}
