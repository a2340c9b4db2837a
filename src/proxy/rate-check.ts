/**
 * @module proxy/rate-check
 * Where a route's rate_limit (resilience/rate-limit.ts) meets requests: which key a request
 * takes its token with, and which limiter each route of a config holds. A reload keeps a
 * route's buckets when its match (host, path_prefix) and its rate_limit are unchanged;
 * any other change starts that route's buckets full.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/clock.js';
import { sameRateLimit, type RouteConfig } from '../core/config.js';
import { RateLimiter } from '../resilience/rate-limit.js';

const matchId = (r: RouteConfig): string => `${r.host ?? ''} ${r.path_prefix ?? ''}`;

/** The limiters of one config's routes, by route match. */
export class RateLimiters {
  readonly #byMatch = new Map<string, RateLimiter>();

  constructor(routes: readonly RouteConfig[], clock: Clock, previous?: RateLimiters) {
    for (const r of routes) {
      if (r.rate_limit === undefined) continue;
      const id = matchId(r);
      const before = previous === undefined ? undefined : previous.#byMatch.get(id);
      this.#byMatch.set(id, before !== undefined && sameRateLimit(before.config, r.rate_limit) ? before : new RateLimiter(r.rate_limit, clock));
    }
  }

  /** The route's limiter; undefined when it has no rate_limit. */
  for(route: RouteConfig): RateLimiter | undefined {
    return route.rate_limit === undefined ? undefined : this.#byMatch.get(matchId(route));
  }
}

/**
 * Takes a token for `req` from `limiter`: 0 when admitted, else ms until the next token.
 * `clientIp` is the request's client address (proxy/client-address.ts). A request without
 * a key (no such header, or an empty one) is not limited, as nginx's limit_req does.
 * A header key takes a token from every distinct copy of the field: upstreams read the
 * first copy or the last (Node keeps the first Authorization, HAProxy's req.hdr() the
 * last), so a client whose key is spent must not pass by adding a decoy copy beside it.
 */
export function rateWait(req: IncomingMessage, limiter: RateLimiter | undefined, clientIp: string): number {
  if (limiter === undefined) return 0;
  const k = limiter.config.key;
  if (k.kind === 'ip') return clientIp === '' ? 0 : limiter.take(clientIp);
  const raw = req.rawHeaders;
  const charged: string[] = [];
  let wait = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const v = raw[i + 1]!;
    if (raw[i]!.length !== k.name.length || raw[i]!.toLowerCase() !== k.name || v === '' || charged.includes(v)) continue;
    charged.push(v);
    wait = Math.max(wait, limiter.take(v));
  }
  return wait;
}

/** What a 429's body and access line say (names no server: see respond.ts). */
export function rateLimitedDetail(waitMs: number): string {
  return `rate limit exceeded; next token in ${waitMs} ms`;
}
