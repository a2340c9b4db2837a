/**
 * @module balancer/weighted
 * Smooth weighted round-robin, exactly as nginx's (ngx_http_upstream_get_peer): on every
 * pick each server's `current` grows by its weight, the server with the largest `current`
 * wins (first in array order on a tie) and the total weight is subtracted from it. Weights
 * 5,1,1 give a,a,b,a,c,a,a: the heavy server is interleaved, never picked in a burst.
 *
 * Caller guarantees (see Scheduler.pick): the array identity changes whenever membership or
 * a weight changes. On such a change the `current` of servers still present is kept (the
 * sequence continues smoothly) and that of servers that left is dropped; newcomers start
 * at 0. Weights should be positive; a server of weight 0 is only picked if all are 0.
 */
import type { SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';
import type { PickContext, Scheduler } from './scheduler.js';

export class WeightedScheduler implements Scheduler {
  readonly name: SchedulerName = 'weighted';
  #servers: readonly Server[] | undefined;
  #current = new Map<Server, number>();
  #total = 0;

  pick(servers: readonly Server[], _ctx?: PickContext): Server | undefined {
    const n = servers.length;
    if (n === 0) return undefined;
    if (servers !== this.#servers) this.#rebuild(servers);
    const current = this.#current;
    let best = servers[0]!;
    let bestCurrent = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = servers[i]!;
      const c = current.get(s)! + s.weight;
      current.set(s, c);
      if (c > bestCurrent) {
        bestCurrent = c;
        best = s;
      }
    }
    current.set(best, bestCurrent - this.#total);
    return best;
  }

  #rebuild(servers: readonly Server[]): void {
    const next = new Map<Server, number>();
    let total = 0;
    for (const s of servers) {
      next.set(s, this.#current.get(s) ?? 0);
      total += s.weight;
    }
    this.#servers = servers;
    this.#current = next;
    this.#total = total;
  }
}
