/**
 * @module runtime/alerts/webhook
 * One webhook's delivery: a bounded FIFO of JSON bodies sent one request at a time, each
 * cut by a timeout and retried with exponential backoff. Nothing here is awaited by the
 * proxy: a dead or slow receiver only makes this queue fill, and a full queue drops (and
 * counts) the new event rather than grow. Events are delivered in order; a retried event
 * holds back the ones behind it. The settings (`alerts:` queue, timeout, retries, backoff,
 * max_backoff) follow a reload: the next push, POST and wait use the new ones.
 */
import { Agent, request } from 'undici';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { AlertDelivery } from '../../core/config.js';

/** Counters shared by every webhook of one Alerts (they outlive a webhook removed by reload). */
export interface DeliveryCounters {
  sent: number;
  failed: number;
  dropped: number;
}

export class Webhook {
  readonly url: string;
  readonly #queue: string[] = [];
  #t: AlertDelivery;
  readonly #clock: Clock;
  readonly #counters: DeliveryCounters;
  readonly #agent: Agent;
  #busy = false;
  #closed = false;
  /** The backoff wait in progress: close() ends it at once. */
  #wait: { handle: TimerHandle; done: () => void } | undefined;
  #abort: AbortController | undefined;

  constructor(url: string, delivery: AlertDelivery, clock: Clock, counters: DeliveryCounters) {
    this.url = url;
    this.#t = delivery;
    this.#clock = clock;
    this.#counters = counters;
    // Its own agent, so close() ends its sockets and no other pool is shared with a slow receiver.
    // No timeouts of its own: the abort timer of #post bounds the whole POST, at the current `timeout`.
    this.#agent = new Agent({ connections: 1, headersTimeout: 0, bodyTimeout: 0 });
  }

  /** New settings (a reload): a smaller queue drops (and counts) the newest events beyond it. */
  retune(delivery: AlertDelivery): void {
    this.#t = delivery;
    const over = this.#queue.length - delivery.queue;
    if (over <= 0) return;
    this.#queue.splice(delivery.queue); // queue ≥ 1: the head, maybe in flight, stays
    this.#counters.dropped += over;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one body; drops it (counted) when the queue is full. */
  push(body: string): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#t.queue) {
      this.#counters.dropped++;
      return;
    }
    this.#queue.push(body);
    if (!this.#busy) void this.#pump();
  }

  /** Stops sending: the request in flight is aborted, waiting events are discarded. */
  close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    if (this.#wait !== undefined) {
      this.#clock.clearTimeout(this.#wait.handle);
      this.#wait.done();
    }
    this.#abort?.abort();
    return this.#agent.destroy().catch(() => undefined);
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    let tries = 0;
    while (!this.#closed && this.#queue.length > 0) {
      if (await this.#post(this.#queue[0]!)) {
        this.#counters.sent++;
        this.#queue.shift();
        tries = 0;
        continue;
      }
      if (this.#closed) break;
      this.#counters.failed++;
      if (++tries > this.#t.retries) {
        this.#counters.dropped++;
        this.#queue.shift();
        tries = 0;
        continue;
      }
      const ms = Math.min(this.#t.backoff * 2 ** (tries - 1), this.#t.max_backoff);
      await new Promise<void>((done) => (this.#wait = { handle: this.#clock.setTimeout(done, ms), done }));
      this.#wait = undefined;
    }
    this.#busy = false;
  }

  /** True for a 2xx answer within the timeout; false for anything else (never throws). */
  async #post(body: string): Promise<boolean> {
    const abort = (this.#abort = new AbortController());
    const timer = this.#clock.setTimeout(() => abort.abort(), this.#t.timeout);
    try {
      const res = await request(this.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'user-agent': 'bulwark-alerts' },
        dispatcher: this.#agent,
        signal: abort.signal,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
      this.#abort = undefined;
    }
  }
}
