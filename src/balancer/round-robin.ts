/**
 * @module balancer/round-robin
 * Strict rotation over the available servers, like nginx's and HAProxy's plain
 * `roundrobin` with all weights equal. It deliberately ignores `weight`: use the
 * `weighted` scheduler when weights matter. One counter, O(1) per pick.
 *
 * Caller guarantees (see Scheduler.pick): `servers` is not mutated after the call. When the
 * array changes, the rotation simply continues at the same position modulo the new length,
 * so no server is picked twice in a row unless it is the only one.
 */
import type { SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';
import type { PickContext, Scheduler } from './scheduler.js';

export class RoundRobinScheduler implements Scheduler {
  readonly name: SchedulerName = 'round-robin';
  /** Index of the next server; kept below the current length so it never grows unbounded. */
  #next = 0;

  pick(servers: readonly Server[], _ctx?: PickContext): Server | undefined {
    const n = servers.length;
    if (n === 0) return undefined;
    const i = this.#next < n ? this.#next : this.#next % n;
    this.#next = i + 1 === n ? 0 : i + 1;
    return servers[i];
  }
}
