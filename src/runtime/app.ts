/**
 * @module runtime/app
 * The composition root: the only place that wires config, proxy, listeners, fault
 * tolerance, admin and logging together. Subsystems never import each other's singletons;
 * everything they need (clock, random source, log sinks) is passed in here. A reload is
 * planned by config/diff and applied by the appliers (runtime/apply, runtime/appliers).
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { systemClock, systemRandom, type Clock, type Random } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import type { ServerFlag } from '../core/server.js';
import { BulwarkError, ErrorCodes, formatConfigIssue } from '../core/errors.js';
import type { CustomSchedulers } from '../balancer/index.js';
import type { ImportMode, StickyEntry, StickyStoreFactory } from '../balancer/sticky/index.js';
import { ConfigWatcher, loadConfigFile, type ParseOptions } from '../config/index.js';
import { drain, listen } from '../proxy/front.js';
import { Proxy } from '../proxy/proxy.js';
import { overrideActions, RuntimeOverrides } from './overrides.js';
import { shareOverrides, type FleetOverrides } from './fleet/overrides.js';
import { adminUrlFor } from '../admin/client.js';
import { BackupSidecar, keyProblem } from './backup-sidecar.js';
import { Fleet } from './fleet/index.js';
import { RedisLink } from './fleet/link.js';
import { fleetLoader, localTextOf, pushFleetConfig, type PushDeps } from './fleet/config-load.js';
import { fleetVersionOf } from '../config/fleet-config.js';
import type { ActionResult } from '../admin/actions.js';
import { cookieKeyProblem, fleetSticky, type FleetSticky } from './fleet/sticky.js';
import { attachFaultTolerance, type FaultTolerance } from './fault-tolerance.js';
import { FrontListeners } from '../proxy/listeners.js';
import { createLogging, type Logging } from '../log/index.js';
import { fileLoader, Reloader, type ConfigLoader, type ConfigStatus, type ReloadOutcome, type ReloadTrigger } from './reload.js';
import { adminToken, createAdmin } from './admin.js';
import { applyPlan, type ApplyContext } from './apply.js';
import { accessSettings, appliersFor } from './appliers.js';
import { ServerEvents } from './server-events.js';
import type { BulwarkMetrics } from '../admin/metrics/index.js';
import { appMetrics, followRunning } from './metrics.js';
import type { GroupReadings } from './status-view.js';
import { Alerts } from './alerts/index.js';
import { CertificateExpiry } from './cert-expiry.js';

export interface AppOptions {
  /** The config file: read at start and on every reload, and watched. */
  readonly configFile: string;
  /**
   * Where the config comes from instead of the file (e.g. an embedder's config object):
   * called at start and on every reload; `configFile` then only names it in messages and
   * /status (pass `watch: false`).
   */
  readonly load?: ConfigLoader;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Where logs go (default: stdout, asynchronously). */
  readonly logDestination?: pino.DestinationStream;
  /** Watch the config file and reload on change (default true). */
  readonly watch?: boolean;
  /** Environment for admin.token_env (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** An embedder's own schedulers, selectable by name in `scheduler:` (src/index.ts). */
  readonly schedulers?: CustomSchedulers;
  /**
   * Add the process and Node.js metrics (process_*, nodejs_*) to /metrics (default true).
   * They live as long as the process: pass false when the process exports its own, or
   * starts more than one App.
   */
  readonly processMetrics?: boolean;
  /**
   * What this process does (runtime/group): `single` (default) everything; `primary` the
   * control plane of a worker group (admin, watcher, health checks, alerts, backups; no
   * proxy listener); `worker` the proxy listeners only (no admin, watcher, health checks,
   * alerts or backups: the primary's flags arrive by IPC).
   */
  readonly role?: AppRole;
  /** Flags set here on another process's word, logged at debug only (a group worker's: its primary logs them). */
  readonly relayedFlags?: ReadonlySet<ServerFlag>;
  /** Runs once the App is built, before its listeners bind (a worker sets the group's flags there). */
  readonly beforeListen?: (app: App) => void;
  /**
   * Told every reload's outcome before it is logged and returned; what it resolves to is
   * the outcome given (a group primary passes applied configs on to its workers and adds
   * their refusals).
   */
  readonly onReloaded?: (outcome: ReloadOutcome) => Promise<ReloadOutcome> | undefined;
  /** More /status sections (a group primary's `workers`). */
  readonly extraStatus?: () => Record<string, unknown>;
  /** Awaited before the admin API reads counters (/status, /metrics, a dashboard tick): a group primary gathers its workers'. */
  readonly refresh?: () => Promise<void>;
  /** A group primary's readings of its workers (their own flags, their connections) for /status and /metrics. */
  readonly group?: GroupReadings;
  /** Where sticky pins are shared (a group worker's store, runtime/group/sessions); absent: this process's tables. */
  readonly stickyStore?: StickyStoreFactory;
  /** Told each session import applied through the admin API (a group primary passes it to its workers). */
  readonly sessionsImported?: (entries: readonly StickyEntry[], mode: ImportMode) => void;
}

export type AppRole = 'single' | 'primary' | 'worker';

export class App {
  readonly configFile: string;
  readonly logging: Logging;
  readonly proxy: Proxy;
  readonly listeners: FrontListeners;
  readonly adminServer: http.Server;
  adminAddress: AddressInfo | undefined;
  /** Health checker, outlier detector, breaker and slow start of each upstream. */
  readonly faultTolerance = new Map<string, FaultTolerance>();
  readonly overrides = new RuntimeOverrides();
  /** The backup sidecar: its agent follows the `backup:` block across reloads; its state is in /status. */
  readonly backup: BackupSidecar;
  readonly status: ConfigStatus;
  /** The Prometheus metrics served at the admin listener's /metrics (admin/metrics). */
  readonly metrics: BulwarkMetrics;
  /** The alert webhooks (`alerts:`); their counters are in /status. */
  readonly alerts: Alerts;
  /** The TLS listeners' certificates: their expiry in /metrics and /status, and the warnings. */
  readonly certificates: CertificateExpiry;
  /** With `fleet:` (not in a worker): the heartbeat into Redis and the node list in /status. */
  readonly fleet: Fleet | undefined;
  /** With `fleet:` (not in a worker): drain/disable/enable/weight shared with every node. */
  readonly fleetOverrides: FleetOverrides | undefined;
  readonly role: AppRole;
  readonly extraStatus: (() => Record<string, unknown>) | undefined;
  readonly refresh: (() => Promise<void>) | undefined;
  readonly group: GroupReadings | undefined;
  readonly sessionsImported: AppOptions['sessionsImported'];
  readonly #onReloaded: AppOptions['onReloaded'];
  readonly #reloader: Reloader;
  /** With `fleet:` (not in a worker): what POST /fleet/config checks and stores with (runtime/fleet/config-load). */
  readonly #push: PushDeps | undefined;
  /** With `fleet:` in a process that serves: the sticky tables shared through Redis. */
  readonly #sticky: FleetSticky | undefined;
  /** A worker's own Redis connection for them (the Fleet, with its link, runs in the primary). */
  readonly #stickyLink: RedisLink | undefined;
  #watcher: ConfigWatcher | undefined;
  #stopping: Promise<boolean> | undefined;

  private constructor(config: BulwarkConfig, text: string, token: string | undefined, opts: AppOptions) {
    const clock = opts.clock ?? systemClock;
    const random = opts.random ?? systemRandom;
    const env = opts.env ?? process.env;
    this.configFile = opts.configFile;
    const role = (this.role = opts.role ?? 'single');
    this.extraStatus = opts.extraStatus;
    this.refresh = opts.refresh;
    this.group = opts.group;
    this.#onReloaded = opts.onReloaded;
    this.status = { version: 1, loadedAt: clock.now(), text, config, lastError: undefined, needsRestart: [] };
    const logging = (this.logging = createLogging(config.log.level, opts.logDestination, accessSettings(config.log)));
    this.#sticky = config.fleet && role !== 'primary' ? fleetSticky(config.fleet, { clock, logger: logging.logger, env }) : undefined;
    const stickyStore = this.#sticky?.factory(opts.stickyStore) ?? opts.stickyStore;
    this.proxy = new Proxy(config, { random, clock, schedulers: opts.schedulers, stickyStore, onAccess: config.log.access ? logging.access : undefined });
    this.listeners = new FrontListeners(config.front, this.proxy);
    this.proxy.onProxyRefused = (peer, reason) => logging.logger.warn({ event: 'proxy_protocol_refused', peer, reason }, `connection from ${peer} closed: ${reason}`);
    this.proxy.onH2Limit = (peer, limit) => logging.logger.warn({ event: 'h2_limit', peer, limit }, `HTTP/2 connection from ${peer} closed (GOAWAY): over ${limit}`);
    const { proxy, listeners, overrides, faultTolerance, configFile } = this;
    const alerts = (this.alerts = new Alerts(clock, logging.logger));
    // A worker sends no alerts: its primary sends each one once for the group.
    if (role !== 'worker') alerts.configure(config.alerts);
    const serverEvents = new ServerEvents(logging.logger, alerts, opts.relayedFlags);
    // A group's workers leave the warnings to their primary, which warns once for the group.
    this.certificates = new CertificateExpiry(clock, role === 'worker' ? undefined : logging.logger);
    const metrics = (this.metrics = appMetrics(this, clock, opts.processMetrics ?? true));
    // What the appliers of a reload work on (runtime/apply).
    const ctx: ApplyContext = { configFile, env, clock, random, logging, proxy, listeners, overrides, faultTolerance, serverEvents, metrics, alerts, activeChecks: role !== 'worker' };
    for (const u of proxy.state.upstreams.values()) {
      ctx.serverEvents.watch(u.servers.all);
      faultTolerance.set(u.name, attachFaultTolerance(u, ctx, logging.logger));
    }
    followRunning(proxy.state, ctx);
    const local = opts.load ?? fileLoader(configFile, parseOptions(opts));
    // A fleet node's reloads put the newest fleet config it read in front of its local blocks.
    const load = config.fleet && role !== 'worker' ? fleetLoader(local, configFile, parseOptions(opts), () => this.fleet?.configs.current) : local;
    this.#reloader = new Reloader(load, this.status, (plan) => applyPlan(plan, ctx, appliersFor(role)), () => clock.now());
    const status = this.status;
    const reported = { configVersion: () => fleetVersionOf(status.text), lastReload: () => status.loadedAt, configError: () => status.lastError?.errors.join('\n') };
    const onConfig = (): void => void this.reload('fleet');
    this.fleet = config.fleet && role !== 'worker' ? new Fleet(config.fleet, { clock, random, env, logger: logging.logger, local: reported, onConfig }) : undefined;
    this.fleetOverrides = this.fleet && shareOverrides(this.fleet, config.fleet!, overrideActions(() => proxy.state, overrides, clock), clock, logging.logger);
    // A config change that ends an override here ends it on every node (and in Redis, for nodes started later).
    overrides.onClear = (s, ended) => this.fleetOverrides?.ended(s.upstream, s.name, ended);
    const fleet = this.fleet;
    this.#push = fleet && { local: localTextOf(local, configFile), file: configFile, opts: parseOptions(opts), configs: fleet.configs, node: config.fleet!.node, now: () => clock.now(), logger: logging.logger };
    // A session import (a restore) on a fleet node goes into Redis too, for every node to read.
    this.sessionsImported = fleet === undefined ? opts.sessionsImported : (entries, mode) => (opts.sessionsImported?.(entries, mode), fleet.pinsImported(entries));
    if (this.#sticky !== undefined) this.#sticky.attach(this.fleet?.link ?? (this.#stickyLink = new RedisLink(config.fleet!.redis, env, random, logging.logger, clock)));
    this.backup = new BackupSidecar({ configFile, logger: logging.logger, env, state: () => proxy.state, alerts, fleet: config.fleet !== undefined });
    this.adminServer = createAdmin(this, clock, token);
  }

  get config(): BulwarkConfig {
    return this.status.config;
  }

  get frontServers(): http.Server[] {
    return this.listeners.servers;
  }

  /** Bound proxy addresses, in config order. */
  get addresses(): AddressInfo[] {
    return this.listeners.addresses;
  }

  /** Loads the config (the file, or `opts.load`), binds every listener, and starts serving. */
  static async start(opts: AppOptions): Promise<App> {
    const { config, text, warnings } = await (opts.load ?? (() => loadConfigFile(opts.configFile, parseOptions(opts))))();
    const token = adminToken(config, opts.env ?? process.env);
    const noKey = keyProblem(config, opts.configFile, opts.env ?? process.env) ?? cookieKeyProblem(config.fleet, opts.configFile, opts.env ?? process.env);
    if (noKey !== undefined) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `${noKey}: refusing to start`);
    const app = new App(config, text, token, opts);
    app.#warn(warnings?.map(formatConfigIssue));
    const { role } = app;
    try {
      opts.beforeListen?.(app);
      if (role !== 'primary') await app.listeners.update(config.listen);
      if (role !== 'worker') app.adminAddress = await listen(app.adminServer, config.admin.listen);
    } catch (err) {
      await app.stop(0);
      throw err;
    }
    // A worker's own link for the shared sticky tables (in the background, like the Fleet's).
    app.#stickyLink?.start();
    if (role === 'worker') return app;
    // In the background: Redis, up or down, never holds the start.
    app.fleet?.start();
    app.#followCertificates();
    if (opts.watch !== false) {
      app.#watcher = new ConfigWatcher(opts.configFile, () => void app.reload('file'));
      app.#watcher.start();
    }
    // A group's primary says it has started once its workers listen (runtime/group).
    if (role === 'single') app.logging.logger.info(
      { event: 'started', listen: app.addresses.map(fmt), admin: fmt(app.adminAddress), config: opts.configFile, version: 1 },
      `bulwark listening on ${app.addresses.map(fmt).join(', ')} (admin ${fmt(app.adminAddress)})`,
    );
    // With `backup:`: sessions from the newest valid snapshot, then the supervised agent.
    const admin = app.adminAddress!; // bound above: only a worker has none
    await app.backup.start(app.config.backup, adminUrlFor(admin.address, admin.port));
    return app;
  }

  /** Re-reads the config file and applies it if it is valid and changed. Never throws. */
  async reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.#stopping !== undefined) return { result: 'rejected', trigger, version: this.status.version, errors: ['shutting down'] };
    const done = await this.#reloader.reload(trigger);
    this.metrics.reloaded(done.result);
    this.#warn(done.warnings);
    const o = (await this.#onReloaded?.(done)) ?? done;
    const log = this.logging.logger;
    if (o.result === 'applied') {
      if (this.role !== 'worker') this.#followCertificates();
      log.info({ event: 'config_reloaded', trigger, version: o.version, changes: o.changes }, `config reloaded (${trigger}): version ${o.version}`);
      for (const k of o.needs_restart ?? []) log.warn({ event: 'needs_restart', key: k }, `${k} changed in ${this.configFile}: needs a restart to take effect`);
      // The agent is started, stopped or reconfigured to match (runtime/backup-sidecar).
      if (this.role !== 'worker') void this.backup.apply(this.config.backup).catch((err: unknown) => log.error({ event: 'backup_apply_failed', error: String(err) }, `backup: ${String(err)}`));
    } else if (o.result === 'rejected') {
      this.alerts.emit('reload_failed', { trigger, version: o.version, reason: o.errors?.join('\n') });
      log.error({ event: 'config_rejected', trigger, errors: o.errors }, `config rejected (${trigger}), still running version ${o.version}:\n${o.errors?.join('\n')}`);
    }
    return o;
  }

  /** POST /fleet/config: validated here with this node's local blocks, then stored for the fleet (runtime/fleet/config-load). */
  pushFleetConfig(text: string, label: string): Promise<ActionResult> {
    if (this.#push === undefined) return Promise.resolve({ ok: false, status: 404, error: 'this bulwark runs without a fleet: block' });
    return pushFleetConfig(text, label, this.#push);
  }

  /** The certificates of the running listeners, named by their bound addresses (configured ones in a group's primary). */
  #followCertificates(): void {
    const bound = this.addresses;
    this.certificates.follow(this.config.listen, (i) => fmt(bound[i]) || `${this.config.listen[i]!.address.host}:${this.config.listen[i]!.address.port}`);
  }

  /** Logs what the loaded config warns of (a certificate close to expiry); a worker's own parse repeats its primary's, at debug. */
  #warn(warnings: readonly string[] | undefined): void {
    const log = this.logging.logger;
    for (const w of warnings ?? []) log[this.role === 'worker' ? 'debug' : 'warn']({ event: 'config_warning', warning: w }, w);
  }

  /** Reopens the access-log file at its configured path (SIGUSR1, after logrotate moved it). Never throws. */
  reopenLogs(): void {
    const log = this.logging.logger;
    try {
      this.logging.reopen();
      this.proxy.onAccess = this.config.log.access ? this.logging.access : undefined;
      log.info({ event: 'logs_reopened' }, 'log files reopened');
    } catch (err) {
      log.error({ event: 'logs_reopen_failed', error: (err as Error).message }, `${(err as Error).message}: still writing to the file open before`);
    }
  }

  /**
   * Graceful stop: drain in-flight requests (up to `drainMs`, default front.timeouts.drain),
   * then close the admin listener and the upstream pools. Idempotent.
   * @returns true when every in-flight request finished in time.
   */
  stop(drainMs = this.config.front.timeouts.drain): Promise<boolean> {
    this.#stopping ??= (async () => {
      const log = this.logging.logger;
      this.#watcher?.close();
      log.info({ event: 'draining', in_flight: this.proxy.inFlight, timeout_ms: drainMs }, 'draining');
      // The agent takes its last snapshot through the admin API, so that closes after it.
      const agentStopped = this.backup.stop();
      const clean = await drain(this.frontServers, this.proxy, drainMs);
      await agentStopped;
      for (const ft of this.faultTolerance.values()) ft.stop();
      this.certificates.stop();
      this.#sticky?.close();
      this.#stickyLink?.stop();
      await this.fleet?.stop();
      await new Promise<void>((r) => (this.adminServer.listening ? this.adminServer.close(() => r()) : r()));
      this.adminServer.closeAllConnections();
      await this.proxy.close();
      log.info({ event: 'stopped', clean }, clean ? 'stopped: all requests finished' : 'stopped: drain timeout cut in-flight requests');
      await this.alerts.close();
      await this.logging.close();
      return clean;
    })();
    return this.#stopping;
  }
}

/** What validation must know of the options: the custom scheduler names. */
export function parseOptions(opts: AppOptions): ParseOptions {
  return { schedulers: [...(opts.schedulers?.keys() ?? [])] };
}

function fmt(a: AddressInfo | undefined): string {
  if (a === undefined) return '';
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
