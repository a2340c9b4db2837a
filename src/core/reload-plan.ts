/**
 * @module core/reload-plan
 * The keep-or-rebuild decision for one upstream across a reload, made in one place:
 * config/diff puts it in the reload plan (and its notes), proxy/upstream builds the new
 * runtime by it, and the runtime's appliers follow it. It lives here, below both, because
 * the proxy must not import config/. Pure functions of two validated configs.
 */
import type { ServerConfig, UpstreamConfig } from './config.js';

/** A canonical JSON form: a Map becomes its ordered entry list. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
}

/** The one comparison of config values (configs are plain data plus the upstream Map). */
export function same(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b);
}

/**
 * The parts of an upstream's runtime that can outlive a reload, each with the settings it
 * is built from: a part is kept when all of them are unchanged. Everything else (the
 * pending queue, the retry policy) is built anew on every reload.
 */
export const UPSTREAM_PARTS = {
  /** The undici pools of the servers that stay (their connections were made with `tls`). */
  pools: ['connections', 'keep_alive', 'timeouts', 'tls'],
  scheduler: ['scheduler', 'hash_key'],
  /** The sticky-session table. */
  sticky: ['sticky'],
  /** Health checker (its probes connect with `tls` and `proxy_protocol`), outlier detector, breaker and slow start (runtime/fault-tolerance). */
  faultTolerance: ['health_check', 'outlier_detection', 'circuit_breaker', 'slow_start', 'tls', 'proxy_protocol'],
} as const satisfies Record<string, ReadonlyArray<keyof UpstreamConfig>>;

export type UpstreamPart = keyof typeof UPSTREAM_PARTS;

/**
 * What becomes of one server of the new config: `keep` its Server object (flags, counters,
 * pool) as it is; `update` it in place with a new weight or backup setting; or build a new
 * one, because it is new (`add`) or its URL changed (`replace`).
 */
export type ServerAction = 'keep' | 'update' | 'replace' | 'add';

export interface UpstreamPlan {
  readonly name: string;
  /** Every server of the new config, in config order. */
  readonly servers: ReadonlyMap<string, ServerAction>;
  /** Servers of the running config that the new one lacks: they drain and retire. */
  readonly removed: readonly string[];
  /** Which parts the new runtime takes over from the running one (all false for a new upstream). */
  readonly keep: Readonly<Record<UpstreamPart, boolean>>;
}

function serverAction(before: ServerConfig | undefined, after: ServerConfig): ServerAction {
  if (before === undefined) return 'add';
  if (before.url !== after.url) return 'replace';
  return same(before, after) ? 'keep' : 'update';
}

/** The plan for `after`, built from the running `before` of the same name (undefined: new). */
export function planUpstream(before: UpstreamConfig | undefined, after: UpstreamConfig): UpstreamPlan {
  const old = new Map(before?.servers.map((s) => [s.name, s]));
  const keep = {} as Record<UpstreamPart, boolean>;
  for (const [part, keys] of Object.entries(UPSTREAM_PARTS) as Array<[UpstreamPart, readonly (keyof UpstreamConfig)[]]>) {
    keep[part] = before !== undefined && keys.every((k) => same(before[k], after[k]));
  }
  return {
    name: after.name,
    servers: new Map(after.servers.map((s) => [s.name, serverAction(old.get(s.name), s)])),
    removed: [...old.keys()].filter((n) => !after.servers.some((s) => s.name === n)),
    keep,
  };
}
