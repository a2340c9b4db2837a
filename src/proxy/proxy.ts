/**
 * @module proxy/proxy
 * The request path: check the head, route, pick a server, forward (request-head.ts,
 * exchange.ts). The running config lives in one immutable ProxyState (state.ts) that a
 * request captures when it starts, so a config swap (hot reload) is atomic. Each request
 * ends in `record`: counted, timed and logged through access-record.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex, Readable } from 'node:stream';
import { systemClock, systemRandom, type Clock, type Random } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import type { UpstreamPlan } from '../core/reload-plan.js';
import { ErrorCodes } from '../core/errors.js';
import type { LatencyHistogram } from '../core/latency.js';
import type { CustomSchedulers } from '../balancer/index.js';
import type { StickyStoreFactory } from '../balancer/sticky/index.js';
import { accessRecord, countAnswer, observeDuration, type AccessRecord } from './access-record.js';
import { BodyLimit, admitBody, bodyTooLarge } from './body-limit.js';
import { condemn, isCondemned } from './connection.js';
import { Exchange } from './exchange.js';
import { onRetiringListener, type FrontHandlers } from './front.js';
import { h2Body, hasH2Body, isH2 } from './h2-head.js';
import type { TrustedProxies } from './client-address.js';
import { rateLimitedDetail, rateWait } from './rate-check.js';
import { sendError } from './respond.js';
import type { BodyBufferSettings } from './request-body.js';
import { RequestContext, resolveRequest, type Resolved } from './request-head.js';
import { ProxyState } from './state.js';
import { onConnect, onUpgrade, type UpgradeHost } from './upgrade.js';
import type { PoolFactory, UpstreamDeps, UpstreamRuntime } from './upstream.js';
import { retryAfterSeconds } from '../resilience/rate-limit.js';

export interface ProxyOptions {
  readonly random?: Random;
  readonly clock?: Clock;
  readonly poolFactory?: PoolFactory;
  /** An embedder's own schedulers, by name (see balancer/index.ts). */
  readonly schedulers?: CustomSchedulers;
  /** Where sticky pins are shared (see balancer/sticky/store.ts); absent: per-process tables. */
  readonly stickyStore?: StickyStoreFactory;
  readonly newRequestId?: () => string;
  readonly onAccess?: (record: AccessRecord) => void;
}

export class Proxy implements FrontHandlers, UpgradeHost {
  #state: ProxyState;
  readonly #newId: () => string;
  /** What every upstream runtime is built with. */
  readonly #deps: UpstreamDeps;
  /** The access-log sink; undefined turns access logging off (a reload may change it). */
  onAccess: ((r: AccessRecord) => void) | undefined;
  /** Requests being handled right now (for graceful drain). */
  inFlight = 0;
  /**
   * Requests answered, per upstream name ("" when none was routed), by statusClass index:
   * plain numbers read by metrics at scrape time (the key set is bounded by the config).
   */
  readonly answered = new Map<string, number[]>();
  /**
   * How long requests took, from their head to their last byte out, per upstream name as in
   * `answered`. WebSocket tunnels are not requests and are not timed.
   */
  readonly durations = new Map<string, LatencyHistogram>();
  /** Set during graceful drain: responses ask clients to close their connections. */
  draining = false;
  /** Told of each connection a PROXY protocol listener closed (untrusted peer, bad header): logged. */
  onProxyRefused: ((peer: string, reason: string) => void) | undefined;
  /** Told of each HTTP/2 connection closed for going over a front.h2_* cap: logged. */
  onH2Limit: ((peer: string, limit: string) => void) | undefined;

  /** The running config's trusted_proxies (a PROXY protocol listener reads it per connection). */
  get trustedProxies(): TrustedProxies {
    return this.#state.trusted;
  }

  /** Whether the response to `req` should close its connection (drain, or a retiring listener). */
  closesConnection(req: IncomingMessage): boolean {
    return this.draining || onRetiringListener(req);
  }
  /** Open upgraded connections (WebSocket tunnels), cut at the end of a drain. */
  readonly tunnels = new Set<Duplex>();
  readonly #exchangeDone: (ex: Exchange) => void;

  constructor(config: BulwarkConfig, opts: ProxyOptions = {}) {
    this.#deps = { random: opts.random ?? systemRandom, clock: opts.clock ?? systemClock, poolFactory: opts.poolFactory, schedulers: opts.schedulers, stickyStore: opts.stickyStore };
    this.#state = new ProxyState(config, this.#deps);
    this.#newId = opts.newRequestId ?? randomUUID;
    this.onAccess = opts.onAccess;
    this.#exchangeDone = (ex) => {
      observeDuration(this.durations, ex.upstream.name, ex.start);
      this.record(ex.req, ex.start, ex.requestId, ex.status, ex.upstream.name, ex.server?.name, ex.error, ex.detail, ex.host, ex.attempts, ex.steer);
    };
  }

  get state(): ProxyState {
    return this.#state;
  }

  /**
   * Builds the state for a new config from the running one (nothing is swapped yet).
   * @param plans the reload plan's per-upstream decisions (see ProxyState).
   */
  prepare(config: BulwarkConfig, plans?: ReadonlyMap<string, UpstreamPlan>): ProxyState {
    return new ProxyState(config, this.#deps, this.#state, plans);
  }

  /**
   * Makes `next` the state new requests use, atomically; requests already running finish
   * on the state they captured. Returns the replaced state.
   */
  swap(next: ProxyState): ProxyState {
    const prev = this.#state;
    this.#state = next;
    return prev;
  }

  /** Checks the request head and routes it (see request-head.ts). */
  resolve(req: IncomingMessage): Resolved {
    return resolveRequest(req, this.#state, this.#newId);
  }

  newRequestId(): string {
    return this.#newId();
  }

  begin(): void {
    this.inFlight++;
  }

  /** The node:http 'request' listener. Bound, so it can be passed around. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Queued behind a closing answer on this connection: never served (see connection.ts).
    if (isCondemned(req.socket)) return void res.destroy();
    const start = performance.now();
    this.inFlight++;
    if (this.closesConnection(req)) res.shouldKeepAlive = false;
    const r = this.resolve(req);
    const id = r.head.requestId;
    const upstream = r.upstream;
    // Only a 404 keeps the connection: the rest (400, 405, 431, 501, 505) are malformed or refused
    // heads, maybe smuggling attempts, whose bodies were not read.
    const host = r.head.host ?? '';
    if (upstream === undefined) return this.#local(req, res, start, id, r.status, r.code, r.detail, host, undefined, r.status !== 404);
    const wait = rateWait(req, r.route?.rateLimit, r.head.clientIp);
    if (wait > 0) return this.#limited(req, res, start, id, host, upstream, wait);

    const route = r.route!; // routed: `upstream` is set
    const max = route.maxBody;
    let body: Readable | null = null;
    // From the raw head (already walked): req.headers would build a header object per request.
    const cl = r.head.contentLength;
    if (cl !== undefined) {
      if (Number(cl) > max) return this.#local(req, res, start, id, 413, ErrorCodes.BODY_TOO_LARGE, bodyTooLarge(max).message, host, upstream.name, true);
      if (cl !== '0') body = req;
    } else if (r.head.chunked || hasH2Body(req)) body = req;
    // A reset HTTP/2 stream's body must not end as if whole (h2-head.ts).
    if (body !== null && isH2(req)) body = h2Body(req);
    let buffer: BodyBufferSettings | undefined;
    if (body !== null) {
      const state = this.#state;
      // Whole bodies are read before a server is picked (a slow upload holds no server's
      // connection); without that, small ones still are when retries are on, to replay them.
      if (state.config.front.buffer_requests) buffer = route.limitBody(state.requestBuffering);
      else if (cl !== undefined && upstream.retry !== undefined && Number(cl) <= upstream.retry.bufferLimit) buffer = route.limitBody(state.retryBuffering);
      else if (cl === undefined) body = body.pipe(new BodyLimit(max));
    }

    admitBody(res);
    const buffering = this.#state.buffering;
    const init = { req, res, requestId: id, upstream, route, setCookie: r.setCookie, ctx: new RequestContext(req, r.path), path: r.path, headers: r.head.headers, body, start, buffering, host };
    const ex = new Exchange(init, this, this.#exchangeDone);
    if (buffer !== undefined) ex.bufferThenRun(buffer);
    else ex.run();
  };

  /** The node:http 'upgrade' listener. Bound. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => onUpgrade(this, req, socket, head);

  /** The node:http 'connect' listener. Bound. */
  readonly connect = (req: IncomingMessage, socket: Duplex): void => onConnect(this, req, socket);

  /** Answers the request from bulwark itself (no upstream exchange). */
  #local(req: IncomingMessage, res: ServerResponse, start: number, id: string, status: number, code: string, detail: string, host: string, upstream: string | undefined, close = false): void {
    // An HTTP/2 stream is closed on its own; its connection carries the client's other streams.
    if (close && !isH2(req)) condemn(req.socket);
    sendError(res, status, id, detail, close);
    observeDuration(this.durations, upstream ?? '', start);
    this.record(req, start, id, status, upstream, undefined, code, detail, host);
  }

  /**
   * A 429 for a request over its route's rate_limit, with Retry-After in whole seconds. The
   * connection stays open, as for a 404: Node discards a body the request still has.
   */
  #limited(req: IncomingMessage, res: ServerResponse, start: number, id: string, host: string, upstream: UpstreamRuntime, waitMs: number): void {
    upstream.rateLimited++;
    res.setHeader('retry-after', retryAfterSeconds(waitMs));
    this.#local(req, res, start, id, 429, ErrorCodes.RATE_LIMITED, rateLimitedDetail(waitMs), host, upstream.name);
  }

  /**
   * Ends one request's accounting (exactly once per request) and emits its access record.
   * `host` is the Host header ("" when absent); a caller without the parsed head leaves it
   * out, and Node's header object (built for upgrades anyway) gives it.
   */
  record(
    req: IncomingMessage,
    start: number,
    id: string,
    status: number,
    upstream: string | undefined,
    server: string | undefined,
    error: string,
    detail = '',
    host = req.headers.host ?? '',
    attempts = 0,
    steer = '',
  ): void {
    this.inFlight--;
    countAnswer(this.answered, upstream ?? '', status);
    const sink = this.onAccess;
    if (sink !== undefined) sink(accessRecord(req, start, id, status, upstream, server, error, detail, host, attempts, steer));
  }

  /** Closes every upstream pool (in-flight requests complete first). */
  async close(): Promise<void> {
    await Promise.all([...this.#state.upstreams.values()].map((u) => u.close()));
  }
}
