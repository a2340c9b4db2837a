/**
 * @module cli/app
 * The composition root: the only place that wires config, proxy, listeners, admin and
 * logging together. Subsystems never import each other's singletons; everything they need
 * (clock, random source, log sinks) is passed in here.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { systemClock, systemRandom, type Clock, type Random } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import type { Server } from '../core/server.js';
import { loadConfigFile } from '../config/index.js';
import { createAdminServer } from '../admin/server.js';
import type { RuntimeView } from '../admin/status.js';
import { createFrontServer, drain, listen } from '../proxy/front.js';
import { Proxy } from '../proxy/proxy.js';
import type { UpstreamRuntime } from '../proxy/upstream.js';
import { attachFaultTolerance, type FaultTolerance } from './fault-tolerance.js';
import { createLogging, type Logging } from './log.js';

export interface AppOptions {
  readonly configFile: string;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Where logs go (default: stdout, asynchronously). */
  readonly logDestination?: pino.DestinationStream;
}

export class App {
  readonly config: BulwarkConfig;
  readonly configFile: string;
  readonly logging: Logging;
  readonly proxy: Proxy;
  readonly frontServers: http.Server[] = [];
  readonly adminServer: http.Server;
  /** Bound proxy addresses, in config order. */
  readonly addresses: AddressInfo[] = [];
  adminAddress: AddressInfo | undefined;
  /** Health checker, outlier detector, breaker and slow start of each upstream. */
  readonly faultTolerance = new Map<string, FaultTolerance>();
  readonly #version = 1;
  readonly #loadedAt: number;
  #stopping: Promise<boolean> | undefined;

  private constructor(config: BulwarkConfig, opts: AppOptions) {
    const clock = opts.clock ?? systemClock;
    this.config = config;
    this.configFile = opts.configFile;
    this.#loadedAt = clock.now();
    this.logging = createLogging(config.log.level, opts.logDestination);
    const random = opts.random ?? systemRandom;
    this.proxy = new Proxy(config, {
      random,
      clock,
      onAccess: config.log.access ? this.logging.access : undefined,
    });
    const log = this.logging.logger;
    for (const u of this.proxy.state.upstreams.values()) {
      for (const s of u.servers.all) {
        // A server going out is a warning; coming back is news.
        s.onFlagChange((c) =>
          log[c.set ? 'warn' : 'info'](
            { event: c.set ? 'server_flag_set' : 'server_flag_cleared', server: serverId(c.server), flag: c.flag, reason: c.reason, available: c.server.available },
            `server ${serverId(c.server)} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`,
          ),
        );
      }
    }
    for (const u of this.proxy.state.upstreams.values()) {
      this.faultTolerance.set(u.name, attachFaultTolerance(u, { clock, random }, log));
    }
    const view: RuntimeView = {
      version: this.#version,
      loadedAt: this.#loadedAt,
      upstreams: () => this.proxy.state.upstreams.values(),
      upstreamDetails: (name) => upstreamDetails(this.proxy.state.upstreams.get(name), this.faultTolerance.get(name)),
    };
    this.adminServer = createAdminServer(view);
  }

  /** Loads the config file, binds every listener, and starts serving. */
  static async start(opts: AppOptions): Promise<App> {
    const { config } = await loadConfigFile(opts.configFile);
    const app = new App(config, opts);
    try {
      for (const addr of config.listen) {
        const server = createFrontServer(config.front, app.proxy);
        app.frontServers.push(server);
        app.addresses.push(await listen(server, addr));
      }
      app.adminAddress = await listen(app.adminServer, config.admin.listen);
    } catch (err) {
      await app.stop(0);
      throw err;
    }
    app.logging.logger.info(
      { event: 'started', listen: app.addresses.map(fmt), admin: fmt(app.adminAddress), config: opts.configFile },
      `bulwark listening on ${app.addresses.map(fmt).join(', ')} (admin ${fmt(app.adminAddress)})`,
    );
    return app;
  }

  /**
   * Graceful stop: drain in-flight requests (up to `drainMs`, default front.timeouts.drain),
   * then close the admin listener and the upstream pools. Idempotent.
   * @returns true when every in-flight request finished in time.
   */
  stop(drainMs = this.config.front.timeouts.drain): Promise<boolean> {
    this.#stopping ??= (async () => {
      const log = this.logging.logger;
      log.info({ event: 'draining', in_flight: this.proxy.inFlight, timeout_ms: drainMs }, 'draining');
      const clean = await drain(this.frontServers, this.proxy, drainMs);
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

/** Fault-tolerance state for /status: breaker states, outlier counters, queue and retries. */
function upstreamDetails(u: UpstreamRuntime | undefined, ft: FaultTolerance | undefined): Record<string, unknown> {
  if (u === undefined) return {};
  const out: Record<string, unknown> = {};
  if (ft?.outlier !== undefined) out['outlier_detection'] = ft.outlier.stats();
  if (ft?.breaker !== undefined) {
    out['circuit_breaker'] = {
      states: Object.fromEntries(u.servers.all.map((s) => [s.name, ft.breaker!.state(s)])),
      pending: u.pending?.length ?? 0,
      overflowed: u.pending?.overflowed ?? 0,
      pending_timed_out: u.pending?.timedOut ?? 0,
    };
  }
  if (u.retry !== undefined) out['retries'] = { in_flight: u.retry.inFlight, budget_exhausted: u.retry.budgetExhausted };
  return out;
}

function serverId(s: Server): string {
  return s.id;
}

function fmt(a: AddressInfo | undefined): string {
  if (a === undefined) return '';
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
