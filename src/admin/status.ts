/**
 * @module admin/status
 * Builds the /status document from read-only views of the running proxy. The views are
 * interfaces defined here, by the consumer (Traefik's habit), so admin/ depends on what it
 * reads rather than on the proxy's classes.
 */
import type { Server } from '../core/server.js';

export interface UpstreamView {
  readonly name: string;
  readonly scheduler: { readonly name: string };
  readonly servers: { readonly all: readonly Server[] };
}

export interface RuntimeView {
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
    servers: Array<{
      name: string;
      url: string;
      weight: number;
      backup: boolean;
      available: boolean;
      flags: string[];
      flag_details: Record<string, { since: string; reason: string }>;
      active_requests: number;
      [detail: string]: unknown;
    }>;
  }>;
}

export function buildStatus(view: RuntimeView): StatusDocument {
  const upstreams: StatusDocument['upstreams'] = [];
  for (const u of view.upstreams()) {
    upstreams.push({
      name: u.name,
      scheduler: u.scheduler.name,
      ...view.upstreamDetails?.(u.name),
      servers: u.servers.all.map((s) => {
        const details: Record<string, { since: string; reason: string }> = {};
        for (const [flag, st] of s.flags) details[flag] = { since: new Date(st.since).toISOString(), reason: st.reason };
        return {
          name: s.name,
          url: s.origin,
          weight: s.weight,
          backup: s.backup,
          available: s.available,
          flags: [...s.flags.keys()],
          flag_details: details,
          active_requests: s.activeRequests,
          ...view.serverDetails?.(s),
        };
      }),
    });
  }
  return { config: { version: view.version, loaded_at: new Date(view.loadedAt).toISOString(), ...view.configDetails?.() }, upstreams, ...view.extra?.() };
}
