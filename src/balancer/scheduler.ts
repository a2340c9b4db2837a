/**
 * @module balancer/scheduler
 * The one interface every load-balancing algorithm implements (HAProxy's lb_ops, undici's
 * kGetDispatcher hook). A scheduler is handed the servers that are available right now and
 * returns one. It never learns why a server is missing: health checks, ejection and the
 * breaker remove servers from the list before the scheduler sees it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Random } from '../core/clock.js';
import type { HashKey, SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';

/**
 * What a scheduler may know about the request. Every field may be missing (e.g. a health
 * probe or a benchmark); schedulers must fall back to sensible defaults, as Envoy's
 * LoadBalancer contract asks.
 */
export interface PickContext {
  readonly clientIp?: string;
  readonly path?: string;
  readonly headers?: IncomingHttpHeaders;
}

export interface Scheduler {
  /** A SchedulerName, or the name an embedder registered a custom scheduler under. */
  readonly name: SchedulerName | (string & {});
  /**
   * Chooses a server for one request.
   * @param servers the available servers. The caller guarantees that the array is not
   *   mutated after the call and that its identity changes whenever membership or a
   *   weight changes, so a scheduler may cache derived state (a ring, weights) by reference.
   * @returns undefined only when `servers` is empty.
   */
  pick(servers: readonly Server[], ctx: PickContext): Server | undefined;
}

export interface SchedulerOptions {
  /** Uniform [0,1) source; injected so tests are deterministic. */
  readonly random: Random;
  /** consistent-hash only: where the key comes from. Defaults to the client IP. */
  readonly hashKey?: HashKey | undefined;
}

export type SchedulerFactory = (opts: SchedulerOptions) => Scheduler;
