/**
 * @module balancer/least-connections
 * Sends each request to the server with the fewest in-flight requests per unit of weight
 * (`activeRequests / weight`, HAProxy's `leastconn` and nginx's `least_conn` are weighted
 * the same way). Servers tied for the lowest load are chosen uniformly with the injected
 * `random`, so an idle pool is spread evenly rather than all sent to the first server.
 * Also exports `load`, shared with p2c.
 *
 * Caller guarantees: `activeRequests` is kept up to date by the proxy (incremented when a
 * request is forwarded, decremented when it ends). Weights should be positive; a server
 * with weight <= 0 counts as infinitely loaded and is picked only when all others are too.
 */
import type { Random } from '../core/clock.js';
import type { SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';
import type { PickContext, Scheduler, SchedulerOptions } from './scheduler.js';

/** In-flight requests per unit of weight; lower is better. */
export function load(s: Server): number {
  return s.weight > 0 ? s.activeRequests / s.weight : Infinity;
}

export class LeastConnectionsScheduler implements Scheduler {
  readonly name: SchedulerName = 'least-connections';
  readonly #random: Random;

  constructor(opts: SchedulerOptions) {
    this.#random = opts.random;
  }

  pick(servers: readonly Server[], _ctx?: PickContext): Server | undefined {
    const n = servers.length;
    if (n <= 1) return servers[0];
    // First pass: the lowest load and how many servers share it (all of them when every
    // load is Infinity, since Infinity === Infinity).
    let min = Infinity;
    let ties = 0;
    for (let i = 0; i < n; i++) {
      const l = load(servers[i]!);
      if (l < min) {
        min = l;
        ties = 1;
      } else if (l === min) {
        ties++;
      }
    }
    // Second pass: the k-th tied server, one random draw only when there is a choice.
    let k = ties === 1 ? 0 : Math.floor(this.#random() * ties);
    for (let i = 0; i < n; i++) {
      const s = servers[i]!;
      if (load(s) === min && k-- === 0) return s;
    }
    return servers[0]; // unreachable: loads do not change between the passes
  }
}
