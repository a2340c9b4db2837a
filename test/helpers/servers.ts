/**
 * @module test/helpers/servers
 * Builds plain Server objects for tests: s1..sN with origins http://127.0.0.1:10001.. and
 * no flags set. Each call returns fresh objects, so identity-based caches see new servers.
 * Also small tools to drive a scheduler over them: a scripted Random and a pick recorder.
 */
import type { Scheduler } from '../../src/balancer/scheduler.js';
import type { Random } from '../../src/core/clock.js';
import { Server } from '../../src/core/server.js';

/** `weights`: one weight per server, or a count of servers of weight 1. */
export function makeServers(weights: number[] | number, upstream = 'u'): Server[] {
  const list = typeof weights === 'number' ? Array.from({ length: weights }, () => 1) : weights;
  return list.map(
    (weight, i) => new Server({ upstream, name: `s${i + 1}`, origin: `http://127.0.0.1:${10001 + i}`, weight }),
  );
}

/** A Random that returns `values` in turn (cycling) and counts how often it was called. */
export function stubRandom(...values: number[]): { random: Random; readonly calls: number } {
  let calls = 0;
  return {
    random: () => values[calls++ % values.length]!,
    get calls() {
      return calls;
    },
  };
}

/** The names of `count` consecutive picks with an empty context. */
export function pickNames(scheduler: Scheduler, servers: readonly Server[], count: number): Array<string | undefined> {
  return Array.from({ length: count }, () => scheduler.pick(servers, {})?.name);
}
