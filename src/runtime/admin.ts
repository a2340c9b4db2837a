/**
 * @module runtime/admin
 * The admin listener of the running process: its token, its actions (runtime overrides,
 * sessions, reload, backup reports) and its /status view, over the parts the App holds.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImportMode, StickyEntry } from '../balancer/sticky/index.js';
import type { Clock } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import type { ActionResult } from '../admin/actions.js';
import { createAdminServer } from '../admin/server.js';
import type { BulwarkMetrics } from '../admin/metrics/index.js';
import type { Proxy } from '../proxy/proxy.js';
import type { BackupSidecar } from './backup-sidecar.js';
import type { FleetOverrides } from './fleet/overrides.js';
import type { Fleet } from './fleet/index.js';
import { createAdminActions, type RuntimeOverrides } from './overrides.js';
import { describeRejection, type ReloadOutcome } from './reload.js';
import { sessionTables } from './sessions.js';
import { statusView, type StatusSource } from './status-view.js';

/** What the admin API reads and drives (the App is one). */
export interface AdminHost extends StatusSource {
  readonly proxy: Proxy;
  readonly overrides: RuntimeOverrides;
  readonly backup: BackupSidecar;
  readonly adminAddress: AddressInfo | undefined;
  readonly metrics: BulwarkMetrics;
  /** With `fleet:`: each override made here goes to the other nodes too. */
  readonly fleetOverrides?: FleetOverrides | undefined;
  /** With `fleet:` (not in a worker). */
  readonly fleet?: Fleet | undefined;
  /** Told each session import applied (a group's primary passes it to its workers). */
  readonly sessionsImported?: ((entries: readonly StickyEntry[], mode: ImportMode) => void) | undefined;
  reload(trigger: 'api'): Promise<ReloadOutcome>;
  /** With `fleet:`: POST /fleet/config (runtime/fleet/config-load). */
  pushFleetConfig?(text: string, label: string): Promise<ActionResult>;
}

/** The admin token from `admin.token_env`; throws when the config names an unset variable. */
export function adminToken(config: BulwarkConfig, env: NodeJS.ProcessEnv): string | undefined {
  const name = config.admin.token_env;
  if (name === undefined) return undefined;
  const token = env[name];
  if (!token) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `admin.token_env names ${name}, which is not set or empty: refusing to start without the admin token`);
  return token;
}

/** The admin server (not yet listening); it answers 503 until `host.adminAddress` is set. */
export function createAdmin(host: AdminHost, clock: Clock, token: string | undefined): http.Server {
  const state = (): Proxy['state'] => host.proxy.state;
  const actions = createAdminActions({
    state,
    overrides: host.overrides,
    clock,
    reload: async () => {
      const o = await host.reload('api');
      if (o.result === 'rejected') return { ok: false, status: 400, error: 'config rejected; the running config is unchanged', details: o.errors };
      // A worker group not all on the new config is a failed reload for whoever deploys it (curl -f).
      const refused = o.workers_rejected ?? [];
      if (refused.length === 0) return { ok: true, body: o };
      const error = `config version ${o.version} applied by the primary, but ${refused.length} worker(s) rejected it and still serve their previous config`;
      return { ok: false, status: 500, error, details: refused.map(describeRejection) };
    },
    config: () => ({ version: host.status.version, loaded_at: new Date(host.status.loadedAt).toISOString(), file: host.configFile, text: host.status.text }),
    // Exports pace themselves while requests are in flight (see runtime/sessions).
    sessions: sessionTables(state, () => host.proxy.inFlight > 0, (entries, mode) => host.sessionsImported?.(entries, mode)),
    backupReport: (r) => host.backup.reported(r),
    onOverride: host.fleetOverrides && ((upstream, server, change) => host.fleetOverrides!.local(upstream, server, change)),
    fleetSnapshot: host.fleet && (() => host.fleet!.snapshot()),
    fleetConfig: host.fleet && ((text, label) => host.pushFleetConfig!(text, label)),
  });
  return createAdminServer({
    view: statusView(host),
    actions,
    token,
    address: () => host.adminAddress,
    metrics: host.metrics.registry,
    now: () => clock.now(),
    latency: (upstream) => host.proxy.durations.get(upstream)?.counts,
  });
}
