/**
 * @module admin/dashboard/feed
 * The dashboard's live feed: every connected page gets the /status document as a JSON
 * message when it connects, within ~50 ms of any server's flag change (the events
 * core/server emits), and on a tick (1 s) with each server's request and error rates and
 * each upstream's windowed p99. Nothing runs while no page is connected: the tick stops
 * and the flag listeners are removed. A page that reads slower than the feed writes misses
 * messages instead of growing the send buffer; the next one carries the whole state again.
 */
import type { Duplex } from 'node:stream';
import type http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { quantileMs } from '../../core/latency.js';
import type { Server } from '../../core/server.js';
import { buildStatus, whenFresh, type RuntimeView, type StatusDocument } from '../status.js';
import { counterRates, windowCounts, type CounterSample, type Rates } from './rates.js';
import { PROTOCOL } from './upgrade.js';

export interface FeedOptions {
  readonly view: RuntimeView;
  /** Epoch milliseconds (the App's clock). */
  readonly now: () => number;
  /** An upstream's request-duration bucket counts since start (core/latency). */
  readonly latency: (upstream: string) => readonly number[] | undefined;
  /** Time between rate samples (default 1000 ms). */
  readonly tickMs?: number;
}

/** What each message carries besides the status document; `rates` only on ticks. */
export interface TickRates {
  /** By "upstream/server". */
  readonly servers: Record<string, Rates>;
  /** Request duration p99 over the tick in ms, by upstream; null without requests or data. */
  readonly p99_ms: Record<string, number | null>;
}

/** A page that has this much unsent skips messages until it catches up. */
const MAX_BUFFERED = 1024 * 1024;
/** A burst of flag changes (a whole upstream failing) goes out as one message. */
const COALESCE_MS = 50;

export class DashboardFeed {
  readonly #opts: FeedOptions;
  readonly #wss: WebSocketServer;
  readonly #listening = new Map<Server, () => void>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing = false;
  #pending: NodeJS.Timeout | undefined;
  #prevAt = 0;
  #prevCounters = new Map<string, CounterSample>();
  #prevLatency = new Map<string, readonly number[]>();

  constructor(opts: FeedOptions) {
    this.#opts = opts;
    // Pages only listen: a message from one is never read, so 4 KiB bounds what it may send.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 4096, handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false) });
  }

  /** Completes an upgrade the caller has already checked (admin/dashboard/upgrade). */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#join(ws));
  }

  /** Disconnects every page and stops the tick (the admin listener is closing). */
  close(): void {
    this.#stop();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #join(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (this.#wss.clients.size === 0) this.#stop();
    });
    const status = buildStatus(this.#opts.view);
    if (this.#timer === undefined) {
      this.#sample(status);
      this.#timer = setInterval(() => this.#tick(), this.#opts.tickMs ?? 1000);
    }
    this.#follow();
    this.#send(ws, this.#message(status, undefined));
  }

  #stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
    this.#timer = this.#pending = undefined;
    for (const off of this.#listening.values()) off();
    this.#listening.clear();
    this.#prevCounters.clear();
    this.#prevLatency.clear();
    this.#prevAt = 0;
  }

  /** Listens to the flag changes of the running servers; a reload swaps them, so this runs each tick. */
  #follow(): void {
    const running = new Set<Server>();
    for (const u of this.#opts.view.upstreams()) for (const s of u.servers.all) running.add(s);
    for (const [s, off] of this.#listening) if (!running.has(s)) (off(), this.#listening.delete(s));
    for (const s of running) if (!this.#listening.has(s)) this.#listening.set(s, s.onFlagChange(() => this.#changed()));
  }

  #changed(): void {
    this.#pending ??= setTimeout(() => {
      this.#pending = undefined;
      this.#broadcast(buildStatus(this.#opts.view), undefined);
    }, COALESCE_MS);
  }

  #tick(): void {
    this.#follow();
    // A tick whose counters are still coming (a worker group's primary waits for its workers) is skipped.
    if (this.#refreshing) return;
    this.#refreshing = true;
    whenFresh(this.#opts.view, () => {
      this.#refreshing = false;
      if (this.#timer === undefined) return;
      const status = buildStatus(this.#opts.view);
      this.#broadcast(status, this.#sample(status));
    });
  }

  /** Reads every counter, returns the rates since the previous reading, and keeps this one. */
  #sample(status: StatusDocument): TickRates {
    const at = this.#opts.now();
    const elapsed = at - this.#prevAt;
    const servers: Record<string, Rates> = {};
    const p99: Record<string, number | null> = {};
    const counters = new Map<string, CounterSample>();
    const latency = new Map<string, readonly number[]>();
    for (const u of status.upstreams) {
      for (const s of u.servers) {
        const key = `${u.name}/${s.name}`;
        servers[key] = counterRates(this.#prevCounters.get(key), s, elapsed);
        counters.set(key, { requests: s.requests, errors: s.errors });
      }
      const counts = this.#opts.latency(u.name);
      if (counts !== undefined) latency.set(u.name, [...counts]);
      // The proxy creates an upstream's histogram at its first request: one that appeared since the last tick started from zero.
      const prev = this.#prevLatency.get(u.name) ?? (this.#prevAt === 0 ? undefined : counts?.map(() => 0));
      const window = windowCounts(prev, counts);
      const q = window === undefined ? NaN : quantileMs(window, 0.99);
      p99[u.name] = Number.isNaN(q) ? null : q;
    }
    this.#prevAt = at;
    this.#prevCounters = counters;
    this.#prevLatency = latency;
    return { servers, p99_ms: p99 };
  }

  #message(status: StatusDocument, rates: TickRates | undefined): string {
    return JSON.stringify({ type: 'status', at: new Date(this.#opts.now()).toISOString(), status, ...(rates === undefined ? {} : { rates }) });
  }

  #broadcast(status: StatusDocument, rates: TickRates | undefined): void {
    if (this.#wss.clients.size === 0) return;
    const text = this.#message(status, rates);
    for (const ws of this.#wss.clients) this.#send(ws, text);
  }

  #send(ws: WebSocket, text: string): void {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_BUFFERED) ws.send(text);
  }
}
