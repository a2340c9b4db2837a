/**
 * @module balancer/consistent-hash
 * Request affinity: requests with the same key (client IP, a header, a cookie or the path,
 * per the HashKey option; the client IP by default) go to the same server while it stays
 * available, and when membership changes only about 1/N of keys move (see ring.ts).
 * Requests without a key are spread at random with the injected `random`.
 *
 * Caller guarantees (see Scheduler.pick): the array identity changes whenever membership or
 * a weight changes; the ring is cached by that identity and rebuilt only then.
 */
import type { Random } from '../../core/clock.js';
import type { SchedulerName } from '../../core/config.js';
import type { Server } from '../../core/server.js';
import { pickRandom } from '../random.js';
import type { PickContext, Scheduler, SchedulerOptions } from '../scheduler.js';
import { keyExtractor, type KeyExtractor } from './key.js';
import { HashRing, hash32 } from './ring.js';

export class ConsistentHashScheduler implements Scheduler {
  readonly name: SchedulerName = 'consistent-hash';
  readonly #random: Random;
  readonly #key: KeyExtractor;
  #servers: readonly Server[] | undefined;
  #ring: HashRing | undefined;

  constructor(opts: SchedulerOptions) {
    this.#random = opts.random;
    this.#key = keyExtractor(opts.hashKey ?? { kind: 'ip' });
  }

  pick(servers: readonly Server[], ctx: PickContext): Server | undefined {
    if (servers.length <= 1) return servers[0];
    const key = this.#key(ctx);
    if (key === undefined) return pickRandom(servers, this.#random);
    if (servers !== this.#servers || this.#ring === undefined) {
      this.#ring = new HashRing(servers);
      this.#servers = servers;
    }
    // The ring is empty only when every weight is 0: still answer.
    return this.#ring.lookup(hash32(key)) ?? pickRandom(servers, this.#random);
  }
}
