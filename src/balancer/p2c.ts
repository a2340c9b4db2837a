/**
 * @module balancer/p2c
 * Power of two choices, like Envoy's LEAST_REQUEST with choice_count 2: draw two distinct
 * servers uniformly with the injected `random` and keep the one with the lower
 * `activeRequests / weight` (the first drawn on a tie). Nearly as good as a full
 * least-connections scan but O(1), and it never herds every new request onto the single
 * least-loaded server. Consequence worth knowing: with 3 or more servers the most-loaded
 * one (if it is strictly the most loaded) can never be chosen, since both draws would have
 * to be it.
 *
 * Caller guarantees: `activeRequests` is maintained by the proxy; weights are positive.
 */
import type { Random } from '../core/clock.js';
import type { SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';
import { load } from './least-connections.js';
import type { PickContext, Scheduler, SchedulerOptions } from './scheduler.js';

export class P2CScheduler implements Scheduler {
  readonly name: SchedulerName = 'p2c';
  readonly #random: Random;

  constructor(opts: SchedulerOptions) {
    this.#random = opts.random;
  }

  pick(servers: readonly Server[], _ctx?: PickContext): Server | undefined {
    const n = servers.length;
    if (n <= 1) return servers[0];
    const i = Math.floor(this.#random() * n);
    // Draw the second from the n-1 others: skipping over i keeps it uniform and distinct.
    let j = Math.floor(this.#random() * (n - 1));
    if (j >= i) j++;
    const a = servers[i]!;
    const b = servers[j]!;
    return load(b) < load(a) ? b : a;
  }
}
