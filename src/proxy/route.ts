/**
 * @module proxy/route
 * One route as requests see it: compiled once per config (state.ts) from its RouteConfig,
 * and what the router hands back for a request. It holds what a route does to the
 * requests it matches: which upstream takes each (one, or a weighted split: route-split.ts),
 * how the path is rewritten for it (route-path.ts), the fields set and removed on either
 * side (route-headers.ts), the largest body it takes, and the optional rate limiter. A
 * request captures it with the rest of the ProxyState, so a reload is atomic per route.
 */
import type { IncomingMessage } from 'node:http';
import type { Random } from '../core/clock.js';
import type { RouteConfig } from '../core/config.js';
import type { RateLimiter } from '../resilience/rate-limit.js';
import type { BodyBufferSettings } from './request-body.js';
import { headerRules, type HeaderRules } from './route-headers.js';
import { pathRewrite, type PathRewrite } from './route-path.js';
import { Split, type RouteChoice } from './route-split.js';
import type { UpstreamRuntime } from './upstream.js';

/** What every route of one config is built with. */
export interface RouteEnv {
  /** front.max_body_size. */
  readonly maxBody: number;
  readonly random: Random;
}

export class RouteRuntime {
  readonly config: RouteConfig;
  /** The route's one upstream's choice; undefined with a split. */
  readonly #single: RouteChoice | undefined;
  readonly #split: Split | undefined;
  /** The route's token buckets (rate_limit); undefined: the route is not limited. */
  readonly rateLimit: RateLimiter | undefined;
  readonly #rewrite: PathRewrite | undefined;
  /** Applied to the request head forwarded upstream; undefined: none. */
  readonly requestHeaders: HeaderRules | undefined;
  /** Applied to the upstream's response head (never to bulwark's own answers); undefined: none. */
  readonly responseHeaders: HeaderRules | undefined;
  /** The largest request body taken, in bytes: front.max_body_size or the route's, the smaller. */
  readonly maxBody: number;

  /**
   * @param upstreams the config's upstream runtimes; the config validator guarantees the
   *   route's upstreams are among them.
   */
  constructor(config: RouteConfig, upstreams: ReadonlyMap<string, UpstreamRuntime>, rateLimit: RateLimiter | undefined, env: RouteEnv) {
    this.config = config;
    const split = config.split;
    this.#split = split === undefined ? undefined : new Split(split, config.split_sticky, upstreams, env.random);
    this.#single = split === undefined ? { upstream: upstreams.get(config.upstream!)!, setCookie: undefined } : undefined;
    this.rateLimit = rateLimit;
    this.#rewrite = pathRewrite(config.strip_prefix, config.add_prefix);
    this.requestHeaders = headerRules(config.headers?.request);
    this.responseHeaders = headerRules(config.headers?.response);
    this.maxBody = Math.min(env.maxBody, config.max_body_size ?? Infinity);
  }

  /** `settings` with this route's body limit (the same object when the route's is not smaller). */
  limitBody(settings: BodyBufferSettings): BodyBufferSettings {
    return settings.max <= this.maxBody ? settings : { ...settings, max: this.maxBody };
  }

  /** Which upstream takes `req`, and the split's Set-Cookie to send with its response, if any. */
  choose(req: IncomingMessage): RouteChoice {
    return this.#single ?? this.#split!.choose(req);
  }

  /** The normalised target ("/path?query") as the upstream gets it (strip_prefix, add_prefix). */
  upstreamPath(target: string): string {
    return this.#rewrite === undefined ? target : this.#rewrite(target);
  }
}
