/**
 * @module runtime/alerts
 * The `alerts:` block at run time: each selected event becomes one JSON body
 * ({ event, at, ...fields }) queued on every webhook (runtime/alerts/webhook). emit() only
 * serialises and queues, so the code that reports an event (a flag change, a reload) is
 * never slowed by a receiver. A reload keeps the queue of every webhook still listed.
 */
import type pino from 'pino';
import type { Clock } from '../../core/clock.js';
import type { AlertEvent, AlertsConfig } from '../../core/config.js';
import type { Server } from '../../core/server.js';
import { Webhook, type DeliveryCounters } from './webhook.js';

/** A reason longer than this is cut, so a full queue stays small (a rejected reload lists up to 50 errors). */
const MAX_REASON = 4096;

export class Alerts {
  readonly #clock: Clock;
  readonly #log: pino.Logger | undefined;
  readonly #counters: DeliveryCounters = { sent: 0, failed: 0, dropped: 0 };
  #hooks = new Map<string, Webhook>();
  #on: ReadonlySet<AlertEvent> = new Set();

  constructor(clock: Clock, log?: pino.Logger) {
    this.#clock = clock;
    this.#log = log;
  }

  /** Follows the config (at start and on each applied reload; a kept webhook takes the new delivery settings); undefined sends nothing. */
  configure(config: AlertsConfig | undefined): void {
    const urls = new Set(config?.webhooks ?? []);
    const next = new Map<string, Webhook>();
    for (const url of urls) {
      const kept = this.#hooks.get(url);
      kept?.retune(config!);
      next.set(url, kept ?? new Webhook(url, config!, this.#clock, this.#counters));
    }
    for (const [url, hook] of this.#hooks) if (!urls.has(url)) void hook.close();
    this.#hooks = next;
    this.#on = new Set(config?.on ?? []);
  }

  /** Queues `event` on every webhook when `on` selects it. Never throws, never waits. */
  emit(event: AlertEvent, fields: Record<string, unknown> = {}): void {
    if (!this.#on.has(event) || this.#hooks.size === 0) return;
    const reason = fields['reason'];
    const clipped = typeof reason === 'string' && reason.length > MAX_REASON ? { reason: `${reason.slice(0, MAX_REASON)}…` } : {};
    const body = JSON.stringify({ event, at: new Date(this.#clock.now()).toISOString(), ...fields, ...clipped });
    this.#log?.debug({ event: 'alert_queued', alert: event }, `alert ${event} queued`);
    for (const hook of this.#hooks.values()) hook.push(body);
  }

  /** A server's flag change as alerts: availability lost or regained, ejected, circuit opened. */
  serverChanged(s: Server, flag: string, set: boolean, reason: string, wasAvailable: boolean): void {
    const fields = { upstream: s.upstream, server: s.name, flag, reason };
    if (set && flag === 'ejected') this.emit('ejected', fields);
    if (set && flag === 'circuit_open') this.emit('circuit_open', fields);
    if (wasAvailable && !s.available) this.emit('server_down', fields);
    if (!wasAvailable && s.available) this.emit('server_up', fields);
  }

  /** Totals since start (the metrics read them at scrape time). */
  counters(): Readonly<DeliveryCounters> {
    return this.#counters;
  }

  /** The /status section: totals, and each webhook's queue (by origin: a path may hold a secret). */
  status(): Record<string, unknown> {
    return { ...this.#counters, webhooks: [...this.#hooks.values()].map((h) => ({ origin: new URL(h.url).origin, queued: h.queued })) };
  }

  async close(): Promise<void> {
    const hooks = [...this.#hooks.values()];
    this.#hooks = new Map();
    await Promise.all(hooks.map((h) => h.close()));
  }
}
