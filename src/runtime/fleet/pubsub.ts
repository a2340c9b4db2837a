/**
 * @module runtime/fleet/pubsub
 * The node's ONE subscriber connection (a duplicate() of the link's client: a connection in
 * subscribe mode can run no other command). Channels are `PREFIX` + a name. node-redis
 * resubscribes on its own after a reconnect, before it reports 'ready'; a channel added
 * while disconnected is subscribed on the next 'ready'. Messages published while a node was
 * cut off are lost to it (pub/sub keeps nothing), so every user that needs them keeps its
 * state in a durable key too and rereads it from an onConnected hook.
 */
import type pino from 'pino';
import type { RedisClient, RedisLink } from './link.js';

export type MessageHandler = (message: string) => void;

export class FleetPubSub {
  readonly #sub: RedisClient;
  readonly #handlers = new Map<string, MessageHandler[]>();
  /** Channels Redis has confirmed (node-redis keeps them across reconnects). */
  readonly #active = new Set<string>();
  readonly #hooks: (() => void)[] = [];
  /** Hooks already ran for this connection: reset when either connection is lost. */
  #synced = false;
  #stopped = false;

  constructor(private readonly link: RedisLink, private readonly prefix: string, private readonly logger: pino.Logger) {
    this.#sub = link.client.duplicate();
    // Outages are logged once by the link; the subscriber's own errors only mark it unsynced.
    this.#sub.on('error', () => (this.#synced = false));
    this.#sub.on('ready', () => void this.#subscribeAll().then(() => this.#maybeConnected()));
    link.onUp(() => this.#maybeConnected());
    link.onDown(() => (this.#synced = false));
  }

  start(): void {
    this.#sub.connect().catch(() => undefined);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#sub.isOpen) this.#sub.destroy();
  }

  /** Calls `handler` with each message on `PREFIX + name`. A handler must not throw (it is logged if it does). */
  subscribe(name: string, handler: MessageHandler): void {
    const channel = this.prefix + name;
    const list = this.#handlers.get(channel) ?? [];
    list.push(handler);
    this.#handlers.set(channel, list);
    if (this.#sub.isReady) void this.#subscribeAll().then(() => this.#maybeConnected());
  }

  /** Publishes on `PREFIX + name` through the link; rejects at once while Redis is down. */
  async publish(name: string, message: string): Promise<number> {
    return this.link.client.publish(this.prefix + name, message);
  }

  /**
   * Runs `hook` each time the node is (re)connected: the link answers and the subscriber is
   * subscribed to every channel, so a read made by the hook misses no later message. Also
   * runs soon after registration when already connected. A hook must handle its own errors.
   */
  onConnected(hook: () => void): void {
    this.#hooks.push(hook);
    if (this.#synced) void this.#subscribeAll().then(() => this.#run(hook));
  }

  async #subscribeAll(): Promise<void> {
    for (const channel of this.#handlers.keys()) {
      if (this.#active.has(channel)) continue;
      try {
        await this.#sub.subscribe(channel, (message) => this.#deliver(channel, message));
        this.#active.add(channel);
      } catch (err) {
        // Retried on the next 'ready' (the subscriber was lost meanwhile).
        this.logger.debug({ event: 'fleet_subscribe_failed', channel, error: String(err) }, `fleet: subscribe ${channel} failed: ${String(err)}`);
      }
    }
  }

  #deliver(channel: string, message: string): void {
    for (const handler of this.#handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        this.logger.error({ event: 'fleet_message_failed', channel, error: String(err) }, `fleet: a ${channel} message failed: ${String(err)}`);
      }
    }
  }

  #maybeConnected(): void {
    if (this.#stopped || this.#synced || !this.link.ready || !this.#sub.isReady) return;
    if ([...this.#handlers.keys()].some((c) => !this.#active.has(c))) return;
    this.#synced = true;
    for (const hook of this.#hooks) this.#run(hook);
  }

  #run(hook: () => void): void {
    try {
      hook();
    } catch (err) {
      this.logger.error({ event: 'fleet_resync_failed', error: String(err) }, `fleet: a resync failed: ${String(err)}`);
    }
  }
}
