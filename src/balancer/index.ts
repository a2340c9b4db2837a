/**
 * @module balancer
 * The scheduler registry: maps every SchedulerName from the configuration to its factory,
 * so config/ and proxy/ never import an algorithm directly. An embedder may add schedulers
 * of its own (src/index.ts `start({ schedulers })`); config/ validates names against both.
 * Callers must pass a known name; anything else throws, naming the known ones. Each call
 * creates a fresh scheduler with its own state: use one per upstream.
 */
import type { SchedulerName } from '../core/config.js';
import { ConsistentHashScheduler } from './consistent-hash/index.js';
import { LeastConnectionsScheduler } from './least-connections.js';
import { P2CScheduler } from './p2c.js';
import { RandomScheduler } from './random.js';
import { RoundRobinScheduler } from './round-robin.js';
import type { Scheduler, SchedulerFactory, SchedulerOptions } from './scheduler.js';
import { WeightedScheduler } from './weighted.js';

export type { PickContext, Scheduler, SchedulerFactory, SchedulerOptions } from './scheduler.js';
export { ServerSet } from './server-set.js';

export const schedulers: ReadonlyMap<SchedulerName, SchedulerFactory> = new Map<SchedulerName, SchedulerFactory>([
  ['round-robin', () => new RoundRobinScheduler()],
  ['random', (opts) => new RandomScheduler(opts)],
  ['weighted', () => new WeightedScheduler()],
  ['least-connections', (opts) => new LeastConnectionsScheduler(opts)],
  ['p2c', (opts) => new P2CScheduler(opts)],
  ['consistent-hash', (opts) => new ConsistentHashScheduler(opts)],
]);

/** An embedder's own schedulers, by the name an upstream selects them with. */
export type CustomSchedulers = ReadonlyMap<string, SchedulerFactory>;

/** Creates the scheduler `name`: a built-in one, or one of `custom`. */
export function createScheduler(name: string, opts: SchedulerOptions, custom?: CustomSchedulers): Scheduler {
  const factory = schedulers.get(name as SchedulerName) ?? custom?.get(name);
  if (factory === undefined) {
    const known = [...schedulers.keys(), ...(custom?.keys() ?? [])].join(', ');
    throw new Error(`unknown scheduler "${String(name)}"; known schedulers: ${known}`);
  }
  return factory(opts);
}
