/**
 * @module runtime/fleet/link
 * The node's one connection to the fleet's Redis (node-redis). It never blocks: start()
 * returns at once and the client keeps retrying with capped, jittered back-off, when Redis
 * is down at start as when it is lost later. An outage is logged once when it begins
 * (fleet_redis_down, a warning) and once when it ends (fleet_redis_up), never per retry.
 */
import type pino from 'pino';
import { createClient } from 'redis';
import type { Clock, Random, TimerHandle } from '../../core/clock.js';
import type { FleetRedis } from '../../core/config-fleet.js';

/** Back-off between connection attempts: 100 ms doubling to 2 s, ±20 % so that nodes spread out. */
export function retryDelay(retries: number, random: Random): number {
  const base = Math.min(100 * 2 ** Math.min(retries, 5), 2000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type RedisClient = ReturnType<typeof createClient>;

export interface LinkLimits {
  /** A command not answered within this is rejected, even once written to the socket. */
  readonly commandTimeoutMs: number;
  /** Commands written or waiting at once; past it a command is rejected at once. */
  readonly maxQueued: number;
}
export const LINK_LIMITS: LinkLimits = { commandTimeoutMs: 2000, maxQueued: 10_000 };
/** How often a connected link checks that Redis still answers. */
export const PROBE_MS = 1000;

export class RedisLink {
  readonly client: RedisClient;
  /** True while an outage is in progress (or before the first connection, once an attempt failed). */
  #down = false;
  /** Connected, but the last PING went unanswered: Redis hangs. */
  #hung = false;
  #probeTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #onUp: (() => void)[] = [];
  readonly #onDown: (() => void)[] = [];

  constructor(
    redis: FleetRedis,
    env: NodeJS.ProcessEnv,
    random: Random,
    private readonly logger: pino.Logger,
    private readonly clock: Clock,
    limits: LinkLimits = LINK_LIMITS,
  ) {
    const socket = { connectTimeout: 2000, reconnectStrategy: (retries: number) => retryDelay(retries, random) };
    this.client = createClient({
      url: redis.url,
      username: redis.username_env === undefined ? undefined : env[redis.username_env],
      password: redis.password_env === undefined ? undefined : env[redis.password_env],
      // Commands fail at once while disconnected instead of queueing: fleet state is best-effort.
      disableOfflineQueue: true,
      commandOptions: { timeout: limits.commandTimeoutMs, rejectInFlight: true },
      commandsQueueMaxLength: limits.maxQueued,
      socket: redis.tls ? { tls: true, ...socket } : { tls: false, ...socket },
    });
    // node-redis emits 'error' for each failed attempt; without a listener it would throw.
    this.client.on('error', (err: unknown) => this.#lost(err));
    this.client.on('ready', () => this.#ready());
  }

  /** Connected and answering: false during an outage and while Redis hangs. */
  get ready(): boolean {
    return this.client.isReady && !this.#hung;
  }

  /** Called each time the link becomes ready: connected, or answering again after a hang. */
  onUp(fn: () => void): void {
    this.#onUp.push(fn);
  }

  /** Called once when an outage (lost or hung connection) begins. */
  onDown(fn: () => void): void {
    this.#onDown.push(fn);
  }

  /** Starts connecting in the background; resolves at once. */
  start(): void {
    this.client.connect().catch((err: unknown) => {
      // Only a close during an attempt ends connect(): the strategy never gives up.
      if (this.client.isOpen) this.logger.error({ event: 'fleet_redis_failed', error: String(err) }, `fleet: Redis connection gave up: ${String(err)}`);
    });
    this.#scheduleProbe();
  }

  /** Drops the connection and any retry; pending commands reject. */
  stop(): void {
    this.#stopped = true;
    if (this.#probeTimer !== undefined) this.clock.clearTimeout(this.#probeTimer);
    if (this.client.isOpen) this.client.destroy();
  }

  #scheduleProbe(): void {
    if (!this.#stopped) this.#probeTimer = this.clock.setTimeout(() => void this.#probe().finally(() => this.#scheduleProbe()), PROBE_MS);
  }

  /** One PING while connected (a lost connection is node-redis's to notice, with 'error' and 'ready'). */
  async #probe(): Promise<void> {
    if (!this.client.isReady) return;
    try {
      await this.client.ping();
      if (this.#hung) this.#ready();
    } catch (err) {
      if (this.#stopped || !this.client.isReady) return;
      this.#hung = true;
      this.#lost(err);
    }
  }

  #lost(err: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.logger.warn({ event: 'fleet_redis_down', error: String(err) }, `fleet: Redis unreachable (${String(err)}); serving on local state and retrying`);
    for (const fn of this.#onDown) fn();
  }

  #ready(): void {
    this.#down = false;
    this.#hung = false;
    this.logger.info({ event: 'fleet_redis_up' }, 'fleet: connected to Redis');
    for (const fn of this.#onUp) fn();
  }
}
