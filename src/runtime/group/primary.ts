/**
 * @module runtime/group/primary
 * `workers: N > 1`: this process becomes a node:cluster primary, the group's control
 * plane. It is an App without proxy listeners: the admin API, the config watcher and
 * reloads, the health checks, runtime overrides, alerts and the backup sidecar run here,
 * once. Its N workers (runtime/group/worker) serve the listen addresses, which cluster
 * shares between them. Every applied config, health/admin flag change and weight override
 * is sent to every worker; outlier ejection and breakers stay each worker's own.
 */
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { Counter } from 'prom-client';
import { systemClock } from '../../core/clock.js';
import { App } from '../app.js';
import { describeRejection, type ConfigLoader } from '../reload.js';
import type { Running } from '../running.js';
import { GroupCounters, mirror } from './counters.js';
import { GroupReloads } from './reloads.js';
import { allSessions, applySessions } from './sessions.js';
import { GroupState } from './state.js';
import { Workers } from './workers.js';

/** How much longer than front.timeouts.drain the primary waits for its workers to exit before SIGKILL. */
const EXIT_GRACE_MS = 5_000;
/** How long /status, /metrics or a dashboard tick waits for the workers' counters; one that is later is left stale. */
const SNAPSHOT_WAIT_MS = 1_000;
/** How long a reload's outcome waits for the workers' answers (each parses off its proxy thread); a later refusal is still logged. */
const RELOAD_WAIT_MS = 10_000;

/** Starts the primary and its `count` workers; resolves once every worker serves. */
export async function startGroup(configFile: string, load: ConfigLoader, count: number): Promise<Running> {
  let group: { state: GroupState; workers: Workers; reloads: GroupReloads } | undefined;
  const counters = new GroupCounters();
  const app = await App.start({
    configFile,
    load,
    role: 'primary',
    // An applied config goes to every worker (again on any reload while one still runs an older
    // one: a refusal for want of a port is retried); the outcome waits for their answers and names those that refused it.
    onReloaded: (o) => {
      if (group === undefined || o.result === 'rejected' || (o.result === 'unchanged' && !group.reloads.behind())) return undefined;
      const { workers, state } = group;
      const sent = group.reloads.send((id) => workers.broadcast({ type: 'config', id, text: app.status.text, trigger: o.trigger, version: o.version }), RELOAD_WAIT_MS);
      state.follow();
      return sent.then(({ rejected, late }) => {
        const reason = rejected.map(describeRejection).join('\n');
        if (rejected.length > 0) app.alerts.emit('reload_failed', { trigger: o.trigger, version: o.version, reason });
        return { ...o, ...(rejected.length > 0 ? { workers_rejected: rejected } : {}), ...(late.length > 0 ? { workers_late: late } : {}) };
      });
    },
    extraStatus: () => ({ workers: group?.workers.status() ?? [] }),
    group: counters,
    // An import into the group's tables (the admin API, a backup restore) reaches every worker's replica.
    sessionsImported: (entries, mode) => group?.workers.broadcast({ type: 'sessions', mode, entries }),
    // The admin API reads the group's counters: fetched from every worker, then written into this App's own.
    refresh: async () => {
      if (group === undefined) return;
      await group.workers.snapshot(SNAPSHOT_WAIT_MS);
      mirror(app, counters.total());
    },
  });
  const log = app.logging.logger;
  const restarts = new Counter({ name: 'bulwark_worker_restarts_total', help: 'Worker processes restarted after exiting unasked.', registers: [app.metrics.registry] });
  // Connection distribution (issue 15): SCHED_RR, node's default on Linux, made explicit; the
  // NODE_CLUSTER_SCHED_POLICY environment variable still overrides it. workers: 2 on 2 cores, 7
  // interleaved rounds (benchmarks/README.md "Connection distribution"): the busiest worker served
  // 1.01-1.24x the other's requests with SCHED_RR, 1.12-2.79x with SCHED_NONE (the kernel hands
  // each accept to whichever worker wakes first), at the same CPU per request (NONE/RR 1.008x,
  // A/A RR/RR 1.020x). Its price: a connection being handed to a worker that dies hangs
  // (nodejs/node#3551). Must be set before setupPrimary, which freezes the policy.
  if (process.env['NODE_CLUSTER_SCHED_POLICY'] === undefined) cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./entry.js', import.meta.url)), args: [] });
  const reloads = new GroupReloads(log, () => app.status.version, () => systemClock.now());
  const workers = new Workers(count, {
    clock: systemClock,
    log,
    // A worker starts with the group's sessions too (runtime/group/sessions).
    init: () => ({ ...state.init(), sessions: allSessions(app.proxy.state) }),
    restarted: () => restarts.inc(),
    counters,
    reloads,
    // A worker's pin or touch: into the group's tables, then to every other worker's replica.
    sessions: (m, from) => {
      applySessions(app.proxy.state, m);
      workers.broadcast(m, from);
    },
  });
  const state = new GroupState(app, (m) => workers.broadcast(m));
  group = { state, workers, reloads };
  let listen: readonly string[];
  try {
    listen = await workers.start();
  } catch (err) {
    await workers.stop(app.config.front.timeouts.drain + EXIT_GRACE_MS);
    await app.stop(0);
    throw err;
  }
  const admin = app.adminAddress!;
  const adminText = `${admin.family === 'IPv6' ? `[${admin.address}]` : admin.address}:${admin.port}`;
  log.info(
    { event: 'started', listen, admin: adminText, config: configFile, version: 1, workers: workers.status().map((w) => w['pid']) },
    `bulwark listening on ${listen.join(', ')} with ${count} workers (admin ${adminText})`,
  );
  return {
    logging: app.logging,
    reload: (trigger) => app.reload(trigger),
    reopenLogs: () => {
      app.reopenLogs();
      workers.broadcast({ type: 'reopen' });
    },
    // Each worker drains its own requests (front.timeouts.drain); then the primary stops.
    stop: async () => {
      await workers.stop(app.config.front.timeouts.drain + EXIT_GRACE_MS);
      return app.stop();
    },
  };
}
