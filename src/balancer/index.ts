/**
 * @module balancer
 * The scheduler registry: maps every SchedulerName from the configuration to its factory,
 * so config/ and proxy/ never import an algorithm directly. Callers must pass a name from
 * SCHEDULER_NAMES (config/ validates it); anything else throws, naming the known ones.
 * Each call creates a fresh scheduler with its own state: use one per upstream.
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

export function createScheduler(name: SchedulerName, opts: SchedulerOptions): Scheduler {
  const factory = schedulers.get(name);
  if (factory === undefined) {
    const known = [...schedulers.keys()].join(', ');
    throw new Error(`unknown scheduler "${String(name)}"; known schedulers: ${known}`);
  }
  return factory(opts);
}
