/**
 * @module runtime/overrides
 * The runtime API's effects (HAProxy's `set server state` / `set server weight`):
 * drain and disable set the admin-owned flags `draining` and `disabled` (the scheduler
 * stops picking the server; in-flight requests finish), enable clears them, and weight
 * overrides the configured weight. An override lasts until a config reload touches that
 * server; `/status` shows it under `override`.
 */
import type { Clock } from '../core/clock.js';
import type { Server } from '../core/server.js';
import type { ActionResult, AdminActions, RunningConfig, ServerAction } from '../admin/actions.js';
import type { ProxyState } from '../proxy/state.js';

export interface Override {
  state?: 'drain' | 'disable';
  weight?: number;
}

export class RuntimeOverrides {
  readonly #overrides = new WeakMap<Server, Override>();
  /** Told each update (a group's primary passes weight overrides on to its workers). */
  onUpdate: ((server: Server, change: Override) => void) | undefined;
  /** Told each override a config change ended (a fleet ends it on every node). */
  onClear: ((server: Server, ended: Override) => void) | undefined;

  get(server: Server): Override | undefined {
    return this.#overrides.get(server);
  }

  /** Forgets a server's override (a config change touched it). */
  clear(server: Server): void {
    const ended = this.#overrides.get(server);
    this.#overrides.delete(server);
    if (ended !== undefined) this.onClear?.(server, ended);
  }

  update(server: Server, change: Override): void {
    const o = { ...this.#overrides.get(server), ...change };
    if (o.state === undefined) delete o.state;
    if (o.weight === undefined) delete o.weight;
    if (Object.keys(o).length === 0) this.#overrides.delete(server);
    else this.#overrides.set(server, o);
    this.onUpdate?.(server, change);
  }
}

/** Moves sticky-session tables in and out (runtime/sessions). */
export interface SessionTables {
  exportAll(): AsyncIterable<string>;
  importAll(ndjson: string, mode: 'merge' | 'replace'): Promise<ActionResult>;
}

export interface ActionDeps {
  readonly state: () => ProxyState;
  readonly overrides: RuntimeOverrides;
  readonly clock: Clock;
  readonly reload: () => Promise<ActionResult>;
  readonly config: () => RunningConfig;
  readonly sessions: SessionTables;
  /** Keeps the backup sidecar's last report for /status. */
  readonly backupReport: (report: Record<string, unknown>) => void;
  /** Told each drain/disable/enable/weight made through this API and applied (a fleet shares it). */
  readonly onOverride?: ((upstream: string, server: string, change: { state: ServerAction } | { weight: number }) => void) | undefined;
  /** With `fleet:`: the leader's snapshot source (runtime/fleet/snapshot). */
  readonly fleetSnapshot?: (() => Promise<ActionResult>) | undefined;
  /** With `fleet:`: checks and stores a pushed fleet config (runtime/fleet/config-load). */
  readonly fleetConfig?: ((text: string, label: string) => Promise<ActionResult>) | undefined;
}

/** The admin API's server actions, and the end of a weight override (the configured weight again). */
export type OverrideActions = Pick<AdminActions, 'server' | 'weight'> & { resetWeight(upstream: string, server: string): ActionResult };

/** drain/disable/enable and weight on this process's servers; createAdminActions and a fleet's received overrides use them. */
export function overrideActions(state: () => ProxyState, overrides: RuntimeOverrides, clock: Clock): OverrideActions {
  const find = (upstream: string, name: string): { server: Server; refresh: () => void } | ActionResult => {
    const u = state().upstreams.get(upstream);
    if (u === undefined) return { ok: false, status: 404, error: `no upstream "${upstream}"` };
    const server = u.servers.find(name);
    if (server === undefined) return { ok: false, status: 404, error: `no server "${name}" in upstream "${upstream}"` };
    return { server, refresh: () => u.servers.refresh() };
  };
  const describe = (s: Server): unknown => ({
    upstream: s.upstream,
    server: s.name,
    available: s.available,
    flags: [...s.flags.keys()],
    weight: s.weight,
    override: overrides.get(s) ?? null,
  });

  return {
    server(upstream: string, name: string, action: ServerAction): ActionResult {
      const f = find(upstream, name);
      if ('ok' in f) return f;
      const s = f.server;
      const now = clock.now();
      if (action === 'enable') {
        s.clearFlag('draining', 'admin: enabled', now);
        s.clearFlag('disabled', 'admin: enabled', now);
        overrides.update(s, { state: undefined });
      } else {
        // One admin state at a time: drain replaces disable and vice versa.
        const [set, other] = action === 'drain' ? (['draining', 'disabled'] as const) : (['disabled', 'draining'] as const);
        s.setFlag(set, `admin: ${action} requested`, now);
        s.clearFlag(other, `admin: ${action} requested`, now);
        overrides.update(s, { state: action });
      }
      return { ok: true, body: describe(s) };
    },
    weight(upstream: string, name: string, weight: unknown): ActionResult {
      const f = find(upstream, name);
      if ('ok' in f) return f;
      if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 1000) {
        return { ok: false, status: 400, error: 'weight must be an integer between 1 and 1000, sent as {"weight": N}' };
      }
      f.server.configuredWeight = weight;
      f.server.weight = weight;
      f.refresh();
      overrides.update(f.server, { weight });
      return { ok: true, body: describe(f.server) };
    },
    resetWeight(upstream: string, name: string): ActionResult {
      const f = find(upstream, name);
      if ('ok' in f) return f;
      const configured = state().config.upstreams.get(upstream)?.servers.find((s) => s.name === name)?.weight;
      if (configured === undefined || overrides.get(f.server)?.weight === undefined) return { ok: true, body: describe(f.server) };
      f.server.configuredWeight = configured;
      f.server.weight = configured;
      f.refresh();
      // Told as a weight first (a group's primary passes it on to its workers), then dropped.
      overrides.update(f.server, { weight: configured });
      overrides.update(f.server, { weight: undefined });
      return { ok: true, body: describe(f.server) };
    },
  };
}

export function createAdminActions(deps: ActionDeps): AdminActions {
  const { clock, reload, onOverride } = deps;
  const applied = overrideActions(deps.state, deps.overrides, clock);
  const told = (r: ActionResult, tell: () => void): ActionResult => {
    if (r.ok) tell();
    return r;
  };
  return {
    reload,
    config: deps.config,
    exportSessions: () => deps.sessions.exportAll(),
    importSessions: (text, mode) => deps.sessions.importAll(text, mode),
    fleetConfig: (text, label) => deps.fleetConfig?.(text, label) ?? Promise.resolve({ ok: false, status: 404, error: 'this bulwark runs without a fleet: block' }),
    fleetSnapshot: () => deps.fleetSnapshot?.() ?? Promise.resolve({ ok: false, status: 404, error: 'this bulwark runs without a fleet: block' }),
    backupReport(report: unknown): ActionResult {
      if (typeof report !== 'object' || report === null || Array.isArray(report)) {
        return { ok: false, status: 400, error: 'report must be a JSON object' };
      }
      deps.backupReport({ ...(report as Record<string, unknown>), received_at: new Date(clock.now()).toISOString() });
      return { ok: true, body: { ok: true } };
    },
    server: (upstream, name, action) => told(applied.server(upstream, name, action), () => onOverride?.(upstream, name, { state: action })),
    weight: (upstream, name, weight) => told(applied.weight(upstream, name, weight), () => onOverride?.(upstream, name, { weight: weight as number })),
  };
}
