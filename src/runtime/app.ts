/**
 * @module runtime/app
 * The composition root: the only place that wires config, proxy, listeners, fault
 * tolerance, admin and logging together. Subsystems never import each other's singletons;
 * everything they need (clock, random source, log sinks) is passed in here.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { systemClock, systemRandom, type Clock, type Random } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import type { Server } from '../core/server.js';
import { ConfigWatcher, loadConfigFile } from '../config/index.js';
import { createAdminServer } from '../admin/server.js';
import { drain, listen } from '../proxy/front.js';
import { Proxy, type ProxyState } from '../proxy/proxy.js';
import { createAdminActions, RuntimeOverrides } from './overrides.js';
import { adminUrlFor } from '../backup/agent/admin-client.js';
import { BackupSidecar, keyProblem } from './backup-sidecar.js';
import { attachFaultTolerance, type FaultTolerance } from './fault-tolerance.js';
import { FrontListeners } from '../proxy/listeners.js';
import { createLogging, type Logging } from '../log/index.js';
import { sessionTables } from './sessions.js';
import { faultToleranceKey, Reloader, type ConfigStatus, type ReloadOutcome, type ReloadTrigger } from './reload.js';
import { statusView } from './status-view.js';

export interface AppOptions {
  readonly configFile: string;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Where logs go (default: stdout, asynchronously). */
  readonly logDestination?: pino.DestinationStream;
  /** Watch the config file and reload on change (default true). */
  readonly watch?: boolean;
  /** Environment for admin.token_env (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

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
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #reloader: Reloader;
  readonly #watched = new WeakSet<Server>();
  #watcher: ConfigWatcher | undefined;
  readonly #env: NodeJS.ProcessEnv;
  #stopping: Promise<boolean> | undefined;

  private constructor(config: BulwarkConfig, text: string, token: string | undefined, opts: AppOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? systemRandom;
    this.configFile = opts.configFile;
    this.#env = opts.env ?? process.env;
    this.status = { version: 1, loadedAt: this.#clock.now(), text, config, lastError: undefined, needsRestart: [] };
    this.logging = createLogging(config.log.level, opts.logDestination);
    this.proxy = new Proxy(config, { random: this.#random, clock: this.#clock, onAccess: config.log.access ? this.logging.access : undefined });
    this.listeners = new FrontListeners(config.front, this.proxy);
    for (const u of this.proxy.state.upstreams.values()) {
      u.servers.all.forEach((s) => this.#watchServer(s));
      this.faultTolerance.set(u.name, attachFaultTolerance(u, { clock: this.#clock, random: this.#random }, this.logging.logger));
    }
    this.#reloader = new Reloader(opts.configFile, this.status, (next) => this.#apply(next), () => this.#clock.now());
    const state = (): ProxyState => this.proxy.state;
    this.backup = new BackupSidecar({ configFile: opts.configFile, logger: this.logging.logger, env: this.#env, state });
    const actions = createAdminActions({
      state,
      overrides: this.overrides,
      clock: this.#clock,
      reload: async () => {
        const o = await this.reload('api');
        return o.result === 'rejected'
          ? { ok: false, status: 400, error: 'config rejected; the running config is unchanged', details: o.errors }
          : { ok: true, body: o };
      },
      config: () => ({ version: this.status.version, loaded_at: new Date(this.status.loadedAt).toISOString(), file: this.configFile, text: this.status.text }),
      // Exports pace themselves while requests are in flight (see runtime/sessions).
      sessions: sessionTables(state, () => this.proxy.inFlight > 0),
      backupReport: (r) => this.backup.reported(r),
    });
    this.adminServer = createAdminServer({ view: statusView(this), actions, token, address: () => this.adminAddress });
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

  /** Loads the config file, binds every listener, and starts serving. */
  static async start(opts: AppOptions): Promise<App> {
    const { config, text } = await loadConfigFile(opts.configFile);
    let token: string | undefined;
    if (config.admin.token_env !== undefined) {
      token = (opts.env ?? process.env)[config.admin.token_env];
      if (!token) {
        throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `admin.token_env names ${config.admin.token_env}, which is not set or empty: refusing to start without the admin token`);
      }
    }
    const noKey = keyProblem(config, opts.configFile, opts.env ?? process.env);
    if (noKey !== undefined) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `${noKey}: refusing to start`);
    const app = new App(config, text, token, opts);
    try {
      await app.listeners.update(config.listen);
      app.adminAddress = await listen(app.adminServer, config.admin.listen);
    } catch (err) {
      await app.stop(0);
      throw err;
    }
    if (opts.watch !== false) {
      app.#watcher = new ConfigWatcher(opts.configFile, () => void app.reload('file'));
      app.#watcher.start();
    }
    app.logging.logger.info(
      { event: 'started', listen: app.addresses.map(fmt), admin: fmt(app.adminAddress), config: opts.configFile, version: 1 },
      `bulwark listening on ${app.addresses.map(fmt).join(', ')} (admin ${fmt(app.adminAddress)})`,
    );
    // With `backup:`: sessions from the newest valid snapshot, then the supervised agent.
    await app.backup.start(app.config.backup, adminUrlFor(app.adminAddress.address, app.adminAddress.port));
    return app;
  }

  /** Re-reads the config file and applies it if it is valid and changed. Never throws. */
  async reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.#stopping !== undefined) return { result: 'rejected', trigger, version: this.status.version, errors: ['shutting down'] };
    const o = await this.#reloader.reload(trigger);
    const log = this.logging.logger;
    if (o.result === 'applied') {
      log.info({ event: 'config_reloaded', trigger, version: o.version, changes: o.changes }, `config reloaded (${trigger}): version ${o.version}`);
      for (const k of o.needs_restart ?? []) log.warn({ event: 'needs_restart', key: k }, `${k} changed in ${this.configFile}: needs a restart to take effect`);
      // The agent is started, stopped or reconfigured to match (runtime/backup-sidecar).
      void this.backup.apply(this.config.backup).catch((err: unknown) => log.error({ event: 'backup_apply_failed', error: String(err) }, `backup: ${String(err)}`));
    } else if (o.result === 'rejected') {
      log.error({ event: 'config_rejected', trigger, errors: o.errors }, `config rejected (${trigger}), still running version ${o.version}:\n${o.errors?.join('\n')}`);
    }
    return o;
  }

  /** Applies a validated config (see runtime/reload). Throws, having changed nothing, when a listener can't be bound. */
  async #apply(next: BulwarkConfig): Promise<void> {
    const noKey = keyProblem(next, this.configFile, this.#env);
    if (noKey !== undefined) throw new Error(noKey);
    await this.listeners.update(next.listen);
    const state = this.proxy.prepare(next);
    const prev = this.proxy.state;
    const deps = { clock: this.#clock, random: this.#random };
    for (const u of state.upstreams.values()) {
      u.servers.all.forEach((s) => this.#watchServer(s));
      // A config change to a server ends its runtime override, drain and disable included.
      for (const s of u.touched) {
        const o = this.overrides.get(s);
        if (o?.state !== undefined) s.clearFlag(o.state === 'drain' ? 'draining' : 'disabled', 'config changed this server: runtime override ended', this.#clock.now());
        this.overrides.clear(s);
      }
      const before = prev.upstreams.get(u.name);
      const ft = this.faultTolerance.get(u.name);
      if (ft !== undefined && before !== undefined && faultToleranceKey(before.config) === faultToleranceKey(u.config)) {
        ft.sync(u);
      } else {
        // New settings: new parts. The replaced detector and breaker clear the flags they
        // set; a health-check flag is kept (the new checker needs `rise` passes to clear
        // it) unless checks were switched off, when nothing would ever clear it.
        ft?.stop();
        if (u.config.health_check === undefined) {
          for (const s of u.servers.all) s.clearFlag('failed_health_check', 'health checks removed from the config', this.#clock.now());
        }
        this.faultTolerance.set(u.name, attachFaultTolerance(u, deps, this.logging.logger));
      }
    }
    for (const name of prev.upstreams.keys()) {
      if (state.upstreams.has(name)) continue;
      this.faultTolerance.get(name)?.stop();
      this.faultTolerance.delete(name);
    }
    this.proxy.swap(state);
    this.logging.logger.level = next.log.level;
    this.proxy.onAccess = next.log.access ? this.logging.access : undefined;
    this.listeners.applyTimeouts(next.front);
    for (const u of prev.upstreams.values()) {
      void u.retire(state.upstreams.get(u.name)).then((closed) => {
        for (const s of closed) this.logging.logger.info({ event: 'pool_closed', server: s.id }, `pool for ${s.id} closed (no longer used)`);
      });
    }
  }

  #watchServer(s: Server): void {
    if (this.#watched.has(s)) return;
    this.#watched.add(s);
    const log = this.logging.logger;
    // A server going out is a warning; coming back is news.
    s.onFlagChange((c) =>
      log[c.set ? 'warn' : 'info'](
        { event: c.set ? 'server_flag_set' : 'server_flag_cleared', server: s.id, flag: c.flag, reason: c.reason, available: s.available },
        `server ${s.id} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`,
      ),
    );
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
      await new Promise<void>((r) => (this.adminServer.listening ? this.adminServer.close(() => r()) : r()));
      this.adminServer.closeAllConnections();
      await this.proxy.close();
      log.info({ event: 'stopped', clean }, clean ? 'stopped: all requests finished' : 'stopped: drain timeout cut in-flight requests');
      await this.logging.flush();
      return clean;
    })();
    return this.#stopping;
  }
}

function fmt(a: AddressInfo | undefined): string {
  if (a === undefined) return '';
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
