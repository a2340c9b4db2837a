/**
 * @module proxy/route-split
 * A route's weighted split across upstreams (a canary: `split: [{ upstream: v1, weight: 90 },
 * { upstream: v2, weight: 10 }]`). Each request draws from the weights with the injected
 * random source, unless `split_sticky` keeps the client on its side:
 * - cookie:NAME: a request whose cookie names one of the split's upstreams goes there; any
 *   other draws, and its response sets the cookie to the upstream drawn (a session cookie,
 *   Path=/, HttpOnly, SameSite=Lax, Secure on TLS). A side removed by a reload is drawn again.
 * - header:NAME: the header's value is hashed (FNV-1a) onto the weights, so a value keeps
 *   its side for as long as the weights stay; a request without it draws.
 */
import type { IncomingMessage } from 'node:http';
import { requestCookie } from '../balancer/sticky/index.js';
import type { Random } from '../core/clock.js';
import type { SplitSticky, SplitTarget } from '../core/config.js';
import { isTls } from './front-listener.js';
import type { UpstreamRuntime } from './upstream.js';

/** Where one request goes, and the Set-Cookie value that pins its client, if one is due. */
export interface RouteChoice {
  readonly upstream: UpstreamRuntime;
  readonly setCookie: string | undefined;
}

/** 32-bit FNV-1a over the UTF-16 code units: deterministic across processes and restarts. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Split {
  readonly #upstreams: readonly UpstreamRuntime[];
  /** Running totals of the weights, in the order written. */
  readonly #ends: readonly number[];
  readonly #total: number;
  readonly #sticky: SplitSticky | undefined;
  readonly #random: Random;
  /** A choice per side without a cookie to set (nothing allocated per request). */
  readonly #plain: readonly RouteChoice[];

  /** The config validator guarantees every upstream exists, once, with a positive integer weight. */
  constructor(targets: readonly SplitTarget[], sticky: SplitSticky | undefined, upstreams: ReadonlyMap<string, UpstreamRuntime>, random: Random) {
    this.#upstreams = targets.map((t) => upstreams.get(t.upstream)!);
    let sum = 0;
    this.#ends = targets.map((t) => (sum += t.weight));
    this.#total = sum;
    this.#sticky = sticky;
    this.#random = random;
    this.#plain = this.#upstreams.map((upstream) => ({ upstream, setCookie: undefined }));
  }

  /** The side at `point`, 0 <= point < total. */
  #at(point: number): number {
    let i = 0;
    while (point >= this.#ends[i]!) i++;
    return i;
  }

  #draw(): number {
    // min(): a random source that returns 1 must not step past the last side.
    return this.#at(Math.min(this.#total - 1, Math.floor(this.#random() * this.#total)));
  }

  choose(req: IncomingMessage): RouteChoice {
    const sticky = this.#sticky;
    if (sticky === undefined) return this.#plain[this.#draw()]!;
    if (sticky.kind === 'header') {
      const value = req.headers[sticky.name];
      const text = Array.isArray(value) ? value.join(', ') : value;
      return this.#plain[text === undefined ? this.#draw() : this.#at(fnv1a(text) % this.#total)]!;
    }
    const pinned = requestCookie(req.headers.cookie, sticky.name);
    const side = pinned === undefined ? -1 : this.#upstreams.findIndex((u) => u.name === pinned);
    if (side !== -1) return this.#plain[side]!;
    const upstream = this.#upstreams[this.#draw()]!;
    const secure = isTls(req) ? '; Secure' : '';
    return { upstream, setCookie: `${sticky.name}=${upstream.name}; Path=/; HttpOnly; SameSite=Lax${secure}` };
  }
}
