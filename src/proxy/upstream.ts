/**
 * @module proxy/upstream
 * The runtime side of one configured upstream: its servers (with their flags), the
 * available-server view, its scheduler, one undici Pool per server with keep-alive, the
 * attempt observers (outlier detection, breakers), and the per-upstream admission state
 * (concurrency limit, pending queue, retry policy). How its servers and pools are built
 * (taken over on a reload, or made by the injected pool factory): upstream-build.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import { systemClock, type Clock, type Random } from '../core/clock.js';
import type { UpstreamConfig } from '../core/config.js';
import type { AttemptObserver, AttemptOutcome } from '../core/outcome.js';
import { planUpstream, type UpstreamPlan } from '../core/reload-plan.js';
import { LatencyHistogram } from '../core/latency.js';
import { statusClass, type Server } from '../core/server.js';
import { createScheduler, type CustomSchedulers } from '../balancer/index.js';
import { pickRandom } from '../balancer/random.js';
import { ServerSet } from '../balancer/server-set.js';
import type { PickContext, Scheduler } from '../balancer/scheduler.js';
import { PendingQueue } from '../resilience/pending-queue.js';
import { RetryPolicy } from '../resilience/retry-policy.js';
import { Affinity } from './affinity.js';
import type { StickyStoreFactory } from '../balancer/sticky/index.js';
import { addPools, defaultPoolFactory, takeOverServers, type PoolFactory } from './upstream-build.js';
import { PrivateConnections } from './upstream-private.js';

export type { PoolFactory } from './upstream-build.js';

export interface UpstreamDeps {
  readonly random: Random;
  readonly clock?: Clock;
  readonly poolFactory?: PoolFactory;
  /** An embedder's own schedulers (config/ has checked every name an upstream uses). */
  readonly schedulers?: CustomSchedulers;
  /** Where sticky pins are shared (a worker group's store); absent: each table is its own store. */
  readonly stickyStore?: StickyStoreFactory;
}

/** The clock's wall time as a function (Date.now itself for the system clock: the sticky table reads it on every lookup). */
const clockNow = (clock: Clock | undefined): (() => number) => (clock === undefined || clock === systemClock ? Date.now : () => clock.now());

export class UpstreamRuntime {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly servers: ServerSet;
  readonly scheduler: Scheduler;
  /** Told about every attempt; the composition root adds outlier detection and breakers. */
  readonly observers: AttemptObserver[] = [];
  /** Most in-flight requests per server (Infinity without a circuit_breaker block). */
  readonly maxConcurrent: number;
  readonly pending: PendingQueue | undefined;
  readonly retry: RetryPolicy | undefined;
  /** Session affinity (sticky sessions), when configured. */
  readonly affinity: Affinity | undefined;
  /**
   * Each attempt's time to the response head, from its dispatch (a wait for a pooled
   * connection and the connect are included). Carried across reloads, like the servers.
   */
  readonly ttfb: LatencyHistogram;
  /** Requests its routes' rate_limit refused (429), for metrics; kept across reloads. */
  rateLimited: number;
  readonly #pools = new Map<Server, Pool>();
  /** With proxy_protocol: each client connection's own upstream connections (upstream-private.ts). */
  readonly #private: PrivateConnections | undefined;
  readonly #random: Random;
  #exchanges = 0;
  #idle: (() => void) | undefined;
  readonly #unfollow: Array<() => void> = [];

  /**
   * @param previous the runtime this one replaces on a reload, and `plan` what this one
   *   takes over from it (core/reload-plan): kept and updated servers keep their Server
   *   object (flags, counters) and, with `keep.pools`, their pool; the scheduler and the
   *   sticky table are kept as the plan says.
   */
  constructor(config: UpstreamConfig, deps: UpstreamDeps, previous?: UpstreamRuntime, plan: UpstreamPlan | undefined = previous && planUpstream(previous.config, config)) {
    this.name = config.name;
    this.config = config;
    this.#random = deps.random;
    this.ttfb = previous?.ttfb ?? new LatencyHistogram();
    this.rateLimited = previous?.rateLimited ?? 0;
    const servers = takeOverServers(config, previous, plan, this.#pools);
    this.servers = new ServerSet(servers);
    this.scheduler = plan?.keep.scheduler ? previous!.scheduler : createScheduler(config.scheduler, { random: deps.random, hashKey: config.hash_key }, deps.schedulers);
    const cb = config.circuit_breaker;
    this.maxConcurrent = cb?.max_concurrent ?? Infinity;
    this.pending = cb === undefined ? undefined : new PendingQueue(cb.max_pending, cb.pending_timeout, deps.clock ?? systemClock);
    // A server coming back (or the last primary going, which brings the backups in) frees
    // capacity as an attempt's end does. Subscribed after this.servers, so its view is fresh;
    // deferred, so no waiter runs inside the code that is changing the flag.
    const queue = this.pending;
    if (queue !== undefined) {
      const wake = (): void => queue.wakeWhile(() => this.servers.available.some((s) => s.activeRequests < this.maxConcurrent));
      for (const s of servers) this.#unfollow.push(s.onFlagChange(() => queueMicrotask(wake)));
    }
    this.retry = config.retries === undefined || config.retries.attempts === 0 ? undefined : new RetryPolicy(config.retries, deps.clock ?? systemClock);
    // The session table survives a reload unless its settings changed.
    const table = plan?.keep.sticky ? previous?.affinity?.table : undefined;
    this.affinity = config.sticky === undefined ? undefined : new Affinity(config.sticky, config.name, () => this.servers.all, table, deps.stickyStore, clockNow(deps.clock));
    addPools(config, servers, deps.poolFactory ?? defaultPoolFactory, this.#pools);
    this.#private = config.proxy_protocol === undefined ? undefined : new PrivateConnections(config, config.proxy_protocol);
  }

  /** Exchanges running on this runtime (a retired runtime closes its pools at 0). */
  get exchanges(): number {
    return this.#exchanges;
  }

  exchangeStarted(): void {
    this.#exchanges++;
  }

  exchangeEnded(): void {
    if (--this.#exchanges === 0 && this.#idle !== undefined) this.#idle();
  }

  /**
   * Retires this runtime after a reload replaced it: once its last exchange has ended,
   * closes the pools the successor does not use (their in-flight requests are complete by
   * then) and stops following flags. Resolves with the servers whose pools were closed.
   */
  async retire(successor: UpstreamRuntime | undefined): Promise<Server[]> {
    if (this.#exchanges > 0) await new Promise<void>((r) => (this.#idle = r));
    this.#stopFollowing();
    this.servers.close();
    const closed: Server[] = [];
    const closing: Promise<void>[] = [];
    for (const [server, pool] of this.#pools) {
      if (successor !== undefined && successor.#pools.get(server) === pool) continue;
      closed.push(server);
      closing.push(pool.close());
    }
    await Promise.all([...closing, this.#private?.close()]);
    return closed;
  }

  /**
   * Picks a server for one attempt: an available server under its concurrency limit and
   * not in `exclude` (servers this request already tried). A first attempt takes the
   * scheduler's pick when it qualifies, else the scheduler picks among those that do. A
   * retry (non-empty `exclude`) picks at random among the qualifying servers instead:
   * running the scheduler again would advance its rotation, so with one dead server of
   * two, round-robin would send every first attempt to the dead one.
   * @returns undefined when none qualifies (see `saturated` for why).
   */
  pick(ctx: PickContext, exclude?: readonly Server[]): Server | undefined {
    const avail = this.servers.available;
    const retry = exclude !== undefined && exclude.length > 0;
    if (!retry) {
      const first = this.scheduler.pick(avail, ctx);
      if (first === undefined || first.activeRequests < this.maxConcurrent) return first;
    }
    const rest = avail.filter((s) => s.activeRequests < this.maxConcurrent && (!retry || !exclude.includes(s)));
    if (!retry) return this.scheduler.pick(rest, ctx);
    return pickRandom(rest, this.#random);
  }

  /** True when some server is available but all of them are at their concurrency limit. */
  get saturated(): boolean {
    const avail = this.servers.available;
    return avail.length > 0 && avail.every((s) => s.activeRequests >= this.maxConcurrent);
  }

  /** Why nothing can be picked, for the 503 body: each server and its flags. */
  unavailableDetail(): string {
    if (this.saturated) return `every server of upstream "${this.name}" is at max_concurrent (${this.maxConcurrent})`;
    const parts = this.servers.all.map((s) => `${s.name}: ${s.available ? 'available' : [...s.flags.keys()].join('+')}`);
    return `no server available in upstream "${this.name}" (${parts.join(', ')})`;
  }

  attemptStart(server: Server): void {
    server.activeRequests++;
    for (const o of this.observers) o.onAttemptStart?.(server);
  }

  attemptEnd(server: Server, outcome: AttemptOutcome): void {
    server.activeRequests--;
    server.attempts[outcome.result === 'response' ? statusClass(outcome.status) : outcome.result === 'cancelled' ? 6 : 0]!++;
    for (const o of this.observers) o.onAttemptEnd?.(server, outcome);
    this.pending?.release();
  }

  #stopFollowing(): void {
    for (const u of this.#unfollow.splice(0)) u();
    this.pending?.close();
  }

  /** The pool for a server of this upstream. The caller guarantees `server` belongs here. */
  pool(server: Server): Pool {
    return this.#pools.get(server)!;
  }

  /** Where a request to `server` is dispatched: the server's pool, or with proxy_protocol the client connection's own Client. */
  dispatcher(server: Server, req: IncomingMessage): Dispatcher {
    return this.#private === undefined ? this.pool(server) : this.#private.for(server, req);
  }

  /** Total in-flight requests across this upstream's servers (for /status and tests). */
  get activeRequests(): number {
    let n = 0;
    for (const s of this.servers.all) n += s.activeRequests;
    return n;
  }

  /** Closes every pool gracefully: queued and in-flight requests complete first. */
  async close(): Promise<void> {
    this.#stopFollowing();
    this.servers.close();
    await Promise.all([...[...this.#pools.values()].map((p) => p.close()), this.#private?.close()]);
  }
}
