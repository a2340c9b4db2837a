/**
 * @module config/diff
 * The reload plan: what a reload changes, computed once from the running config and the
 * new one. The runtime applies it (runtime/appliers), skips a reload that changes nothing,
 * reports settings that only take effect after a restart, and logs its notes. The
 * keep-or-rebuild decision of each upstream is core/reload-plan's.
 */
import type { BulwarkConfig, Listener, UpstreamConfig } from '../core/config.js';
import { formatDuration } from '../core/format.js';
import { planUpstream, same, type UpstreamPlan } from '../core/reload-plan.js';

/** Settings bound at start-up: a change is reported, and the running value kept until a restart. */
export const RESTART_KEYS = ['admin.listen', 'admin.token_env', 'front.max_header_size', 'workers', 'fleet'] as const;

export interface ReloadPlan {
  /** False when the configs are equivalent (e.g. only comments changed). */
  readonly changed: boolean;
  /** The config to run: the new one, with the RESTART_KEYS at their running values. */
  readonly config: BulwarkConfig;
  /** RESTART_KEYS whose value changed. */
  readonly restartRequired: readonly string[];
  readonly listenChanged: boolean;
  /** Every upstream of the new config, with what it keeps from its running namesake. */
  readonly upstreams: ReadonlyMap<string, UpstreamPlan>;
  /** Upstreams of the running config that the new one lacks: their runtimes retire. */
  readonly retired: readonly string[];
  readonly routesChanged: boolean;
  /** One human-readable note per change, for logs and the /reload answer. */
  readonly summary: readonly string[];
}

type Tree = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);

function valueAt(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((t, k) => (isObject(t) ? t[k] : undefined), tree);
}

/** `tree` with the value at a dotted `path` replaced (copies along the path only). */
function withValueAt<T>(tree: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const t = tree as Tree;
  return { ...t, [head]: rest.length === 0 ? value : withValueAt(t[head], rest.join('.'), value) } as T;
}

/** The RESTART_KEYS' values in `config`, by key (JSON-safe: a worker joining a running group is sent them). */
export function restartValues(config: BulwarkConfig): Record<string, unknown> {
  return Object.fromEntries(RESTART_KEYS.map((k) => [k, valueAt(config, k)]));
}

/** `config` with the RESTART_KEYS at `values`' (a key absent there: unset). */
export function withRestartValues(config: BulwarkConfig, values: Readonly<Record<string, unknown>>): BulwarkConfig {
  return RESTART_KEYS.reduce((c, k) => withValueAt(c, k, values[k]), config);
}

/** The upstream settings that are durations (ms in the config), shown as the file writes them. */
const DURATIONS = new Set([
  'keep_alive', 'slow_start', 'timeouts.connect', 'timeouts.response', 'timeouts.idle', 'sticky.ttl', 'retries.per_try_timeout',
  'health_check.interval', 'health_check.timeout', 'health_check.fast_interval', 'outlier_detection.base_ejection_time',
  'outlier_detection.max_ejection_time', 'circuit_breaker.pending_timeout', 'circuit_breaker.window', 'circuit_breaker.open_for',
]);

function show(key: string, v: unknown): string {
  if (v === undefined) return 'none';
  if (typeof v === 'number' && DURATIONS.has(key)) return formatDuration(v);
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** "key: old → new" for each changed leaf setting, as dotted keys ("health_check.interval"). */
function changes(a: unknown, b: unknown, key: string): string[] {
  if (same(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.flatMap((k) => changes(a[k], b[k], key === '' ? k : `${key}.${k}`));
  }
  if (a === undefined && isObject(b)) return [`${key} added`];
  if (b === undefined && isObject(a)) return [`${key} removed`];
  return [`${key} ${show(key, a)} → ${show(key, b)}`];
}

/** A listener or upstream without its PEM text: notes name what changed, and a key never reaches a log. */
const PEM_KEYS = new Set(['cert_pem', 'key_pem', 'ca_pem']);
const withoutPem = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (PEM_KEYS.has(k) ? undefined : x)));

/** Notes for one changed upstream: its settings, then each server added, changed or removed. */
function describeUpstream(a: UpstreamConfig, b: UpstreamConfig): string[] {
  const { servers: sa, ...restA } = a;
  const { servers: sb, ...restB } = b;
  const before = new Map(sa.map((s) => [s.name, s]));
  const after = new Map(sb.map((s) => [s.name, s]));
  const notes = changes(withoutPem(restA), withoutPem(restB), '');
  if (notes.length === 0 && !same(restA, restB)) notes.push('tls: certificate, key or CA file contents changed');
  for (const s of sb) {
    const old = before.get(s.name);
    if (old === undefined) notes.push(`${s.name} added`);
    else if (!same(old, s)) notes.push(`${s.name}: ${changes(old, s, '').join(', ')}`);
  }
  for (const s of sa) if (!after.has(s.name)) notes.push(`${s.name} removed`);
  // Only the order is left to differ (it decides round-robin's and the ring's order).
  if (notes.length === 0) notes.push(`servers reordered: ${sb.map((s) => s.name).join(', ')}`);
  return notes.map((n) => `upstream ${b.name}: ${n}`);
}


/** Notes for `listen`: new addresses, or each listener's changed settings (a certificate's new contents included). */
function describeListen(a: readonly Listener[], b: readonly Listener[]): string[] {
  if (!same(a.map((l) => l.address), b.map((l) => l.address))) return ['listen addresses changed'];
  return b.flatMap((l, i) => {
    if (same(a[i], l)) return [];
    const notes = changes(withoutPem(a[i]!), withoutPem(l), `listen[${i}]`);
    return notes.length > 0 ? notes : [`listen[${i}].tls: certificate or key contents changed`];
  });
}

/** The plan that takes the `running` config to `next` (both validated). */
export function diffConfig(running: BulwarkConfig, next: BulwarkConfig): ReloadPlan {
  const summary: string[] = [];
  const restartRequired = RESTART_KEYS.filter((k) => !same(valueAt(running, k), valueAt(next, k)));
  for (const k of restartRequired) summary.push(`${k} changed: needs a restart to take effect`);
  const config = withRestartValues(next, restartValues(running));
  const listenChanged = !same(running.listen, next.listen);
  if (listenChanged) summary.push(...describeListen(running.listen, next.listen));
  const upstreams = new Map<string, UpstreamPlan>();
  for (const [name, u] of config.upstreams) {
    const before = running.upstreams.get(name);
    upstreams.set(name, planUpstream(before, u));
    if (before === undefined) summary.push(`upstream ${name} added`);
  }
  const retired = [...running.upstreams.keys()].filter((n) => !next.upstreams.has(n));
  for (const n of retired) summary.push(`upstream ${n} removed`);
  for (const [name, u] of next.upstreams) {
    const before = running.upstreams.get(name);
    if (before !== undefined && !same(before, u)) summary.push(...describeUpstream(before, u));
  }
  const routesChanged = !same(running.routes, next.routes);
  if (routesChanged) summary.push('routes changed');
  if (!same(running.log, next.log)) summary.push('log settings changed');
  if (!same(running.metrics, next.metrics)) summary.push('metrics settings changed');
  if (!same(running.backup, next.backup)) summary.push('backup settings changed');
  if (!same(running.alerts, next.alerts)) summary.push('alerts changed');
  if (!same(running.trusted_proxies, next.trusted_proxies)) summary.push('trusted_proxies changed');
  if (!same(running.front, config.front)) summary.push('front limits or timeouts changed');
  return { changed: !same(running, next), config, restartRequired, listenChanged, upstreams, retired, routesChanged, summary };
}
