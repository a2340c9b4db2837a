/**
 * @module proxy/state
 * Everything a request reads from the running config, built once per config: the
 * routing table, the upstream runtimes and the buffering settings. A request captures
 * the state when it starts, so a hot reload that swaps in a new one is atomic: no request
 * sees half of each config.
 */
import { systemClock } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import type { UpstreamPlan } from '../core/reload-plan.js';
import { TrustedProxies } from './client-address.js';
import { RateLimiters } from './rate-check.js';
import type { BodyBufferSettings } from './request-body.js';
import { RouteRuntime } from './route.js';
import { Router } from './router.js';
import type { BufferingSettings } from './spool.js';
import { UpstreamRuntime, type UpstreamDeps } from './upstream.js';

export class ProxyState {
  readonly config: BulwarkConfig;
  readonly upstreams: ReadonlyMap<string, UpstreamRuntime>;
  readonly router: Router<RouteRuntime>;
  /** How responses are buffered for clients that fall behind (front.*). */
  readonly buffering: BufferingSettings;
  /** How request bodies are read before forwarding (front.buffer_requests). */
  readonly requestBuffering: BodyBufferSettings;
  /** Small bodies kept for retries when request buffering is off (memory only). */
  readonly retryBuffering: BodyBufferSettings;
  /** trusted_proxies: whose X-Forwarded-For is believed (client-address.ts). */
  readonly trusted: TrustedProxies;
  /** The routes' rate limiters, kept across a reload where unchanged (rate-check.ts). */
  readonly rateLimiters: RateLimiters;

  /**
   * @param previous the state this one replaces on a reload: upstreams of the same name
   *   are built from their predecessors, keeping servers, pools and schedulers that did not
   *   change (see UpstreamRuntime).
   * @param plans what each upstream keeps from its predecessor (config/diff's reload plan);
   *   planned here when not given.
   */
  constructor(config: BulwarkConfig, deps: UpstreamDeps, previous?: ProxyState, plans?: ReadonlyMap<string, UpstreamPlan>) {
    const ups = new Map<string, UpstreamRuntime>();
    for (const [name, u] of config.upstreams) {
      const before = previous?.upstreams.get(name);
      ups.set(name, new UpstreamRuntime(u, deps, before, before && plans?.get(name)));
    }
    this.config = config;
    this.upstreams = ups;
    const env = { maxBody: config.front.max_body_size, random: deps.random };
    this.trusted = new TrustedProxies(config.trusted_proxies);
    const limiters = (this.rateLimiters = new RateLimiters(config.routes, deps.clock ?? systemClock, previous?.rateLimiters));
    this.router = new Router(config.routes, (route) => new RouteRuntime(route, ups, limiters.for(route), env));
    const f = config.front;
    this.buffering = {
      memory: f.buffer_responses ? f.response_buffer_size : 0,
      maxFile: f.buffer_responses ? f.max_temp_file_size : 0,
      dir: f.temp_path,
      sendTimeout: f.timeouts.send,
    };
    this.requestBuffering = { memory: f.request_buffer_size, toFile: true, dir: f.temp_path, max: f.max_body_size };
    this.retryBuffering = { memory: Infinity, toFile: false, dir: f.temp_path, max: f.max_body_size };
  }
}
