/**
 * @module admin/status
 * Builds the /status document from read-only views of the running proxy. The views are
 * interfaces defined here, by the consumer (Traefik's habit), so admin/ depends on what it
 * reads rather than on the proxy's classes.
 */
import type { CheckSnapshot, Server } from '../core/server.js';

export interface UpstreamView {
  readonly name: string;
  readonly scheduler: { readonly name: string };
  readonly servers: { readonly all: readonly Server[] };
}

export interface RuntimeView {
  /** Awaited before the counters are read, when set (a worker group's primary gathers its workers'). */
  readonly refresh?: (() => Promise<void>) | undefined;
  readonly version: number;
  /** Epoch ms when the running config was applied. */
  readonly loadedAt: number;
  upstreams(): Iterable<UpstreamView>;
  /** Extra top-level sections (e.g. the backup sidecar's last report). */
  extra?(): Record<string, unknown>;
  /** Extra config state (reload errors, settings awaiting a restart), merged into `config`. */
  configDetails?(): Record<string, unknown>;
  /** Extra per-upstream state (breaker states, outlier counters...), merged into /status. */
  upstreamDetails?(name: string): Record<string, unknown>;
  /** Extra per-server state (runtime overrides), merged into the server's entry. */
  serverDetails?(server: Server): Record<string, unknown>;
}

export interface StatusDocument {
  [section: string]: unknown;
  config: { version: number; loaded_at: string; [detail: string]: unknown };
  upstreams: Array<{
    name: string;
    scheduler: string;
    [detail: string]: unknown;
    servers: ServerEntry[];
  }>;
}

interface CheckEntry {
  ok: boolean;
  detail: string;
  duration_ms: number;
  at: string;
}

export interface ServerEntry {
  name: string;
  url: string;
  weight: number;
  effective_weight: number;
  backup: boolean;
  available: boolean;
  flags: string[];
  flag_details: Record<string, { since: string; reason: string }>;
  active_requests: number;
  /** Attempts that ended on this server; errors are the 5xx answers and failures without one. */
  requests: number;
  errors: number;
  /** Of the attempts sent to this server, the retries of a request that failed elsewhere. */
  retries: number;
  last_check: CheckEntry | null;
  /** Newest first. */
  history: Array<{ at: string; flag: string; set: boolean; reason: string; check: CheckEntry | null }>;
  [detail: string]: unknown;
}

const checkEntry = (c: CheckSnapshot | undefined): CheckEntry | null =>
  c === undefined ? null : { ok: c.ok, detail: c.detail, duration_ms: c.durationMs, at: new Date(c.at).toISOString() };

/** One server's /status entry (also GET /servers/{upstream}/{server}). */
export function serverEntry(view: RuntimeView, s: Server): ServerEntry {
  const details: Record<string, { since: string; reason: string }> = {};
  for (const [flag, st] of s.flags) details[flag] = { since: new Date(st.since).toISOString(), reason: st.reason };
  return {
    name: s.name,
    url: s.origin,
    weight: s.weight,
    effective_weight: s.weight,
    backup: s.backup,
    available: s.available,
    flags: [...s.flags.keys()],
    flag_details: details,
    active_requests: s.activeRequests,
    requests: s.attempts.reduce((a, b) => a + b, 0),
    errors: s.attempts[0]! + s.attempts[5]!,
    retries: s.retries,
    last_check: checkEntry(s.lastCheck),
    history: s.history
      .map((t) => ({ at: new Date(t.at).toISOString(), flag: t.flag, set: t.set, reason: t.reason, check: checkEntry(t.check) }))
      .reverse(),
    ...view.serverDetails?.(s),
  };
}

/** Runs `read` once the view's counters are current: at once without a refresh (one process), else after it. */
export function whenFresh(view: RuntimeView, read: () => void): void {
  if (view.refresh === undefined) return read();
  void view.refresh().then(read, read);
}

/** One server's entry, or a 404 body naming what was not found. */
export function findServer(view: RuntimeView, upstream: string, name: string): { entry: ServerEntry } | { error: string } {
  for (const u of view.upstreams()) {
    if (u.name !== upstream) continue;
    const s = u.servers.all.find((x) => x.name === name);
    return s === undefined ? { error: `no server "${name}" in upstream "${upstream}"` } : { entry: serverEntry(view, s) };
  }
  return { error: `no upstream "${upstream}"` };
}

export function buildStatus(view: RuntimeView): StatusDocument {
  const upstreams: StatusDocument['upstreams'] = [];
  for (const u of view.upstreams()) {
    upstreams.push({
      name: u.name,
      scheduler: u.scheduler.name,
      ...view.upstreamDetails?.(u.name),
      servers: u.servers.all.map((s) => serverEntry(view, s)),
    });
  }
  return { config: { version: view.version, loaded_at: new Date(view.loadedAt).toISOString(), ...view.configDetails?.() }, upstreams, ...view.extra?.() };
}
