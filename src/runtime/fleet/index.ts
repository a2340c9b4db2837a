/**
 * @module runtime/fleet
 * Fleet membership through Redis (issue 17, first part). Every HEARTBEAT_MS the node writes
 * its hash `PREFIX node:NAME` (node, config_version, last_reload, last_seen) and adds NAME
 * to the set `PREFIX nodes`, then reads every node's hash back. /status shows the last list
 * read; nothing waits on Redis: while it is down the list stays as last read and this
 * node's own entry is kept from local state. `last_seen` is the writer's wall clock, so a
 * node counts as healthy when another's clock is within the 3-beat window of its own.
 */
import type pino from 'pino';
import type { ActionResult } from '../../admin/actions.js';
import type { StickyEntry } from '../../balancer/sticky/index.js';
import type { Clock, Random, TimerHandle } from '../../core/clock.js';
import type { FleetConfig } from '../../core/config-fleet.js';
import { FleetConfigSync, type FleetConfigEntry } from './config.js';
import { LeaderLease } from './leader.js';
import { RedisLink } from './link.js';
import { FleetPubSub, type MessageHandler } from './pubsub.js';
import { leaderSnapshot, scanPins, writePins } from './snapshot.js';

export const HEARTBEAT_MS = 1000;
/** A node seen within this many heartbeats is healthy. */
const HEALTHY_BEATS = 3;
/** A node gone for an hour drops out of the list (its hash expires). */
const NODE_TTL_MS = 3_600_000;

/** What the node reports of itself. */
export interface FleetLocal {
  /** The fleet config version the node runs (0: its local file alone). */
  configVersion(): number;
  lastReload(): number;
  /** Why its last reload was refused (a fleet config it could not apply), until one succeeds. */
  configError?(): string | undefined;
}

interface NodeEntry {
  node: string;
  config_version: number;
  last_reload: number;
  last_seen: number | undefined;
  config_error: string | undefined;
}

export interface FleetDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: pino.Logger;
  readonly local: FleetLocal;
  /** Told each newer fleet config read from Redis (runtime/fleet/config). */
  readonly onConfig?: ((entry: FleetConfigEntry) => void) | undefined;
}

export class Fleet {
  readonly #link: RedisLink;
  /** The leader lease: current() is this node's term while it leads (for leader-only jobs). */
  readonly lease: LeaderLease;
  readonly #pubsub: FleetPubSub;
  /** The fleet config: pushed through it; followed on its channel, on each (re)connection and each heartbeat. */
  readonly configs: FleetConfigSync;
  #nodes: NodeEntry[] = [];
  #lastWrite: number | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(private readonly config: FleetConfig, private readonly deps: FleetDeps) {
    this.#link = new RedisLink(config.redis, deps.env, deps.random, deps.logger, deps.clock);
    const link = this.#link;
    this.#pubsub = new FleetPubSub(link, config.prefix, deps.logger);
    const configs = (this.configs = new FleetConfigSync(config.prefix, () => (link.ready ? link.client : undefined), deps.logger, (e) => deps.onConfig?.(e)));
    this.#pubsub.subscribe('config', () => void configs.check());
    this.#pubsub.onConnected(() => void configs.check());
    this.lease = new LeaderLease(config.prefix, config.node, { client: () => (link.ready ? link.client : undefined), clock: deps.clock, logger: deps.logger });
  }

  /** The node's Redis connection (shared sticky tables write through it too). */
  get link(): RedisLink {
    return this.#link;
  }

  /** Connects in the background and starts beating; returns at once. */
  start(): void {
    this.#link.start();
    this.#pubsub.start();
    this.#schedule(0);
    this.lease.start();
  }

  /** Gives up the lease if held (so another node leads at once), then drops the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.deps.clock.clearTimeout(this.#timer);
    await this.lease.stop();
    this.#pubsub.stop();
    this.#link.stop();
  }

  /** Calls `handler` with each message on the channel `PREFIX + name` (the node's one subscriber connection). */
  subscribe(name: string, handler: MessageHandler): void {
    this.#pubsub.subscribe(name, handler);
  }

  /** Publishes on `PREFIX + name`; rejects at once while Redis is down. */
  publish(name: string, message: string): Promise<number> {
    return this.#pubsub.publish(name, message);
  }

  /** Runs `hook` on each (re)connection, once subscribed to every channel: the place to reread durable state. */
  onConnected(hook: () => void): void {
    this.#pubsub.onConnected(hook);
  }

  /** GET /fleet/snapshot: every shared pin and this node's term, while it leads (else 409). */
  snapshot(): Promise<ActionResult> {
    const read = (): ReturnType<typeof scanPins> => scanPins(this.#link.client, this.config.prefix, this.deps.clock.now());
    return leaderSnapshot(this.lease.current(), this.lease.leader()?.node ?? null, read, this.configs.current).catch((err: unknown) => ({
      ok: false as const,
      status: 503,
      error: `cannot read the fleet's sessions from Redis: ${String(err)}`,
    }));
  }

  /** Sessions imported on this node (a restore): written into Redis in the background, for the whole fleet. */
  pinsImported(entries: readonly StickyEntry[]): void {
    const { logger } = this.deps;
    if (entries.length === 0) return;
    if (!this.#link.ready) {
      logger.warn({ event: 'fleet_sessions_import_local', entries: entries.length }, `fleet: Redis is unreachable: ${entries.length} imported sessions stay on this node`);
      return;
    }
    void writePins(this.#link.client, this.config.prefix, entries, this.deps.clock.now()).then(
      (n) => logger.info({ event: 'fleet_sessions_imported', written: n }, `fleet: ${n} imported sessions written to Redis`),
      (err: unknown) => logger.warn({ event: 'fleet_sessions_import_failed', error: String(err) }, `fleet: imported sessions not written to Redis: ${String(err)}`),
    );
  }

  /** The /status `fleet` section. */
  status(): Record<string, unknown> {
    const now = this.deps.clock.now();
    const self = this.#self(this.#lastWrite);
    const nodes = [self, ...this.#nodes.filter((n) => n.node !== self.node)].sort((a, b) => a.node.localeCompare(b.node));
    const leader = this.lease.leader();
    return {
      node: this.config.node,
      connected: this.#link.ready,
      leader: leader?.node ?? null,
      leader_term: leader?.token ?? null,
      nodes: nodes.map((n) => ({
        node: n.node,
        config_version: n.config_version,
        last_reload: new Date(n.last_reload).toISOString(),
        last_seen: n.last_seen === undefined ? null : new Date(n.last_seen).toISOString(),
        healthy: n.last_seen !== undefined && now - n.last_seen <= HEALTHY_BEATS * HEARTBEAT_MS,
        config_error: n.config_error ?? null,
      })),
    };
  }

  #self(lastSeen: number | undefined): NodeEntry {
    const { local } = this.deps;
    return { node: this.config.node, config_version: local.configVersion(), last_reload: local.lastReload(), last_seen: lastSeen, config_error: local.configError?.() };
  }

  #schedule(ms: number): void {
    if (!this.#stopped) this.#timer = this.deps.clock.setTimeout(() => void this.#beat().finally(() => this.#schedule(HEARTBEAT_MS)), ms);
  }

  /** One heartbeat: write ours, read all. A failure only skips this beat (the link logs outages). */
  async #beat(): Promise<void> {
    if (!this.#link.ready) return;
    const { client } = this.#link;
    const { prefix, node } = this.config;
    const now = this.deps.clock.now();
    const self = this.#self(now);
    try {
      await client
        .multi()
        .hSet(`${prefix}node:${node}`, { node, config_version: self.config_version, last_reload: self.last_reload, last_seen: now, config_error: self.config_error ?? '' })
        .pExpire(`${prefix}node:${node}`, NODE_TTL_MS)
        .sAdd(`${prefix}nodes`, node)
        .exec();
      this.#lastWrite = now;
      // A message missed (the subscriber lags its link): each beat catches up with the stored version too.
      await this.configs.check();
      const names = await client.sMembers(`${prefix}nodes`);
      // A member whose key is no hash (anything may write into Redis) fails its own read only.
      const hashOf = (name: string): Promise<Record<string, string>> => client.hGetAll(`${prefix}node:${name}`).catch(() => ({}));
      const read = await Promise.all(names.map(async (name) => ({ name, hash: await hashOf(name) })));
      // A name whose hash expired (or is unreadable) is gone: drop it from the set too.
      const gone = read.filter((r) => r.hash['node'] === undefined).map((r) => r.name);
      if (gone.length > 0) await client.sRem(`${prefix}nodes`, gone);
      this.#nodes = read.filter((r) => r.hash['node'] !== undefined).map(({ hash }) => ({
        node: hash['node']!,
        config_version: Number(hash['config_version']),
        last_reload: Number(hash['last_reload']),
        last_seen: Number(hash['last_seen']),
        config_error: hash['config_error'] || undefined,
      }));
    } catch (err) {
      this.deps.logger.debug({ event: 'fleet_heartbeat_failed', error: String(err) }, `fleet: heartbeat failed: ${String(err)}`);
    }
  }
}
