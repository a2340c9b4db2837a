/**
 * @module bulwark
 * The public API, for running bulwark inside a Node program:
 *
 * ```js
 * import { start } from 'bulwark';
 * const lb = await start({ config: 'bulwark.yaml' });   // or a config object
 * // ... lb.addresses, await lb.reload(), await lb.stop()
 * ```
 *
 * A custom scheduler implements `Scheduler` and is registered by name:
 * `start({ config, schedulers: { mine: (opts) => new Mine(opts) } })`, then selected with
 * `scheduler: mine` in an upstream. Everything else in dist/ is internal and may change.
 */
export { start, validate, OBJECT_SOURCE } from './runtime/embed.js';
export type { Bulwark, ConfigObject, StartOptions } from './runtime/embed.js';
export type { ReloadOutcome } from './runtime/reload.js';
export type { PickContext, Scheduler, SchedulerFactory, SchedulerOptions } from './balancer/index.js';
export type { Server } from './core/server.js';
export type { Random } from './core/clock.js';
export { BulwarkError, ConfigError, ErrorCodes } from './core/errors.js';
export type { ConfigIssue, ErrorCode } from './core/errors.js';
