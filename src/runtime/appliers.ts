/**
 * @module runtime/appliers
 * The parts of the running process that follow a reload, one applier each (see
 * runtime/apply for the stages). The upstream runtimes themselves, with the pools,
 * schedulers and sticky tables they keep, are built by the plan when the new proxy state
 * is (proxy/upstream); the appliers here connect the rest to them. A new part (metrics,
 * the fleet) adds its applier to APPLIERS.
 */
import { keyProblem } from './backup-sidecar.js';
import { attachFaultTolerance } from './fault-tolerance.js';
import type { Applier } from './apply.js';
import type { LogConfig } from '../core/config.js';
import { checkAccessFile, type AccessSettings } from '../log/index.js';
import { metricsApplier } from './metrics.js';

/** Refuses a config whose backup key variable is unset: every snapshot would fail. */
const backupKey: Applier = {
  name: 'backup key',
  check: (plan, ctx) => {
    const problem = keyProblem(plan.config, ctx.configFile, ctx.env);
    if (problem !== undefined) throw new Error(problem);
  },
};

/** What the access log follows: with access lines off, no file is kept open. */
export function accessSettings(log: LogConfig): AccessSettings {
  return { access_format: log.access_format, access_file: log.access ? log.access_file : undefined };
}

/** A new access_file that cannot be opened rejects the reload; a new format or file applies at commit. */
const logging: Applier = {
  name: 'logging',
  check: ({ config }) => {
    const file = accessSettings(config.log).access_file;
    if (file !== undefined) checkAccessFile(file);
  },
  commit: ({ config }, ctx) => {
    const log = ctx.logging.logger;
    log.level = config.log.level;
    try {
      ctx.logging.configureAccess(accessSettings(config.log));
    } catch (err) {
      // Opened in check, so only a change since (a folder removed) lands here: the old file stays.
      log.error({ event: 'access_log_failed', error: (err as Error).message }, (err as Error).message);
    }
    ctx.proxy.onAccess = config.log.access ? ctx.logging.access : undefined;
  },
};

/** Binds new listen addresses first (a failed bind rejects the reload); front settings after the swap. */
const listeners: Applier = {
  name: 'listeners',
  check: async (plan, ctx) => {
    if (plan.listenChanged) await ctx.listeners.update(plan.config.listen);
  },
  commit: ({ config }, ctx) => ctx.listeners.applyTimeouts(config.front),
};

const serverEvents: Applier = {
  name: 'server events',
  attach: (_plan, ctx, { next }) => {
    for (const u of next.upstreams.values()) ctx.serverEvents.watch(u.servers.all);
  },
};

/**
 * A config change to a server ends its runtime override, drain and disable included. A new
 * URL or a removal ends it with the old Server object: cleared too, so that a fleet ends it.
 */
const overrides: Applier = {
  name: 'overrides',
  attach: (plan, ctx, { prev, next }) => {
    for (const [name, up] of plan.upstreams) {
      const old = prev.upstreams.get(name)?.servers;
      for (const server of [...up.removed, ...[...up.servers].filter(([, a]) => a === 'replace').map(([s]) => s)]) {
        const s = old?.find(server);
        if (s !== undefined) ctx.overrides.clear(s);
      }
      for (const [server, action] of up.servers) {
        const s = action === 'update' ? next.upstreams.get(name)?.servers.find(server) : undefined;
        if (s === undefined) continue;
        const o = ctx.overrides.get(s);
        if (o?.state !== undefined) s.clearFlag(o.state === 'drain' ? 'draining' : 'disabled', 'config changed this server: runtime override ended', ctx.clock.now());
        ctx.overrides.clear(s);
      }
    }
  },
};

/** Kept settings: the parts follow the new runtime. New settings: new parts. */
const faultTolerance: Applier = {
  name: 'fault tolerance',
  attach: (plan, ctx, { next }) => {
    const log = ctx.logging.logger;
    for (const u of next.upstreams.values()) {
      const ft = ctx.faultTolerance.get(u.name);
      if (ft !== undefined && plan.upstreams.get(u.name)?.keep.faultTolerance === true) {
        ft.sync(u);
        continue;
      }
      // The replaced detector and breaker clear the flags they set; a health-check flag is
      // kept (the new checker needs `rise` passes to clear it) unless checks were switched
      // off, when nothing would ever clear it.
      ft?.stop();
      if (u.config.health_check === undefined) {
        for (const s of u.servers.all) s.clearFlag('failed_health_check', 'health checks removed from the config', ctx.clock.now());
      }
      ctx.faultTolerance.set(u.name, attachFaultTolerance(u, ctx, log));
    }
    for (const name of plan.retired) {
      ctx.faultTolerance.get(name)?.stop();
      ctx.faultTolerance.delete(name);
    }
  },
};

/** Replaced upstream runtimes retire: pools the new ones don't use close when idle. */
const upstreams: Applier = {
  name: 'upstreams',
  commit: (_plan, ctx, { prev, next }) => {
    for (const u of prev.upstreams.values()) {
      void u.retire(next.upstreams.get(u.name)).then((closed) => {
        for (const s of closed) ctx.logging.logger.info({ event: 'pool_closed', server: s.id }, `pool for ${s.id} closed (no longer used)`);
      });
    }
  },
};

/** New webhooks and events at commit; a webhook still listed keeps its queue. */
const alerts: Applier = {
  name: 'alerts',
  commit: ({ config }, ctx) => ctx.alerts.configure(config.alerts),
};

/** In order: every stage runs over this list from the top (see runtime/apply). */
export const APPLIERS: readonly Applier[] = [backupKey, logging, listeners, serverEvents, overrides, faultTolerance, metricsApplier, upstreams, alerts];

/** A group's primary binds no proxy listener; its workers send no alerts (runtime/group). */
export function appliersFor(role: 'single' | 'primary' | 'worker'): readonly Applier[] {
  if (role === 'single') return APPLIERS;
  const skip = role === 'primary' ? listeners : alerts;
  return APPLIERS.filter((a) => a !== skip);
}
