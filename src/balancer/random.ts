/**
 * @module balancer/random
 * Uniform random choice using the injected `random`, ignoring `weight` (use `weighted` for
 * weights). Stateless, so it needs no cache and tolerates any change of the server list.
 * Also exports `pickRandom`, the fallback other schedulers use when they have nothing
 * better to go on (e.g. consistent-hash without a key).
 *
 * Caller guarantees: `random` returns floats in [0, 1), like Math.random.
 */
import type { Random } from '../core/clock.js';
import type { SchedulerName } from '../core/config.js';
import type { Server } from '../core/server.js';
import type { PickContext, Scheduler, SchedulerOptions } from './scheduler.js';

/** One uniformly chosen element of `servers`; undefined only when it is empty. */
export function pickRandom(servers: readonly Server[], random: Random): Server | undefined {
  const n = servers.length;
  if (n <= 1) return servers[0];
  return servers[Math.floor(random() * n)];
}

export class RandomScheduler implements Scheduler {
  readonly name: SchedulerName = 'random';
  readonly #random: Random;

  constructor(opts: SchedulerOptions) {
    this.#random = opts.random;
  }

  pick(servers: readonly Server[], _ctx?: PickContext): Server | undefined {
    return pickRandom(servers, this.#random);
  }
}
