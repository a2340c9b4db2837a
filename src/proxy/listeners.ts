/**
 * @module proxy/listeners
 * The set of client-facing listeners, keyed by configured address. A reload that changes
 * `listen` binds every new address before closing any old one, so there is no moment with
 * nothing listening; if a bind fails, the new sockets are closed again and the old ones
 * keep serving (the caller reports the error). A closed listener stops accepting at once
 * and its in-flight requests finish. A listener that stays (same address, same kind: plain
 * or TLS, HTTP/2 or not) takes its new settings in place: new certificates for new
 * handshakes, while open connections go on. One whose kind changes is closed before its
 * replacement binds the same address, so connections in that moment are refused.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FrontConfig, Listener } from '../core/config.js';
import { applyFront, createFrontServer, listen, markRetiring, reconfigure, type FrontHandlers } from './front.js';
import { acceptProxyProtocol, type ProxyProtocolHost } from './proxy-accept.js';

interface Bound {
  readonly server: http.Server;
  readonly address: AddressInfo;
  /** The server's kind (kindOf): a listener whose kind changes needs a new server. */
  readonly kind: string;
}

/** What a server is built as: a kind change needs a new server (node:http, node:https...). */
const kindOf = (l: Listener): string => `${l.tls === undefined ? 'plain' : 'tls'}${l.http2 ? '+h2' : ''}${l.proxy_protocol ? '+proxy' : ''}`;

/**
 * One key per configured address. Port 0 may repeat (each asks the OS for a port of its
 * own), so its repeats are told apart by their order: "127.0.0.1|0#1", "127.0.0.1|0#2".
 */
function keysOf(wanted: readonly Listener[]): string[] {
  const seen = new Map<string, number>();
  return wanted.map(({ address: a }) => {
    const base = `${a.host}|${a.port}`;
    if (a.port !== 0) return base;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `${base}#${n}`;
  });
}

/**
 * How long a removed listener keeps accepting after its replacement is bound. Closing at
 * once would reset connections the kernel accepted but Node has not picked up yet, and
 * connections picked up whose first request is not read yet (http.Server#close closes
 * idle connections): clients that connected a moment before the switch must be served.
 */
export const LISTENER_GRACE_MS = 250;

/** Retires a listener: responses on it close their connections; after the grace it stops
 * accepting, and connections are closed as they go idle until none is left. */
function retire(server: http.Server): void {
  markRetiring(server);
  setTimeout(() => {
    server.close();
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.once('close', () => clearInterval(sweep));
  }, LISTENER_GRACE_MS);
}

/** Stops `b` accepting (its connections go on) so another server can bind its address. */
function stopAccepting(b: Bound): Promise<Bound> {
  return new Promise((resolve) => {
    b.server.close();
    // close() releases the port at once; its callback waits for the connections.
    setImmediate(() => resolve(b));
  });
}

export class FrontListeners {
  readonly #proxy: FrontHandlers;
  #front: FrontConfig;
  #bound = new Map<string, Bound>();

  constructor(front: FrontConfig, proxy: FrontHandlers) {
    this.#front = front;
    this.#proxy = proxy;
  }

  get servers(): http.Server[] {
    return [...this.#bound.values()].map((b) => b.server);
  }

  /** Bound addresses in config order. */
  get addresses(): AddressInfo[] {
    return [...this.#bound.values()].map((b) => b.address);
  }

  /**
   * Makes the bound set equal to `wanted`: binds what is new (all or nothing), then closes
   * what is gone. Throws (having changed nothing) when a new address cannot be bound.
   */
  async update(wanted: readonly Listener[]): Promise<{ opened: AddressInfo[]; closed: AddressInfo[] }> {
    const keys = keysOf(wanted);
    const fresh = new Map<string, Bound>();
    const stopped: Bound[] = [];
    // Built before anything is bound, so a context OpenSSL refuses changes nothing.
    const settings = wanted.flatMap((l, i) => {
      const old = this.#bound.get(keys[i]!);
      return old !== undefined && old.kind === kindOf(l) ? [reconfigure(old.server, l)] : [];
    });
    for (const [i, l] of wanted.entries()) {
      const k = keys[i]!;
      const old = this.#bound.get(k);
      if ((old !== undefined && old.kind === kindOf(l)) || fresh.has(k)) continue;
      const server = createFrontServer(l, this.#front, this.#proxy);
      if (l.proxy_protocol) acceptProxyProtocol(server, this.#proxy as ProxyProtocolHost, () => this.#front.timeouts.headers);
      try {
        // Port 0 is a new port anyway; a fixed one must be free for the new kind of server.
        if (old !== undefined && l.address.port !== 0) stopped.push(await stopAccepting(old));
        fresh.set(k, { server, address: await listen(server, l.address), kind: kindOf(l) });
      } catch (err) {
        server.close();
        for (const b of fresh.values()) b.server.close();
        // Best effort: a listener closed for a kind change takes its address back.
        await Promise.allSettled(stopped.map((b) => listen(b.server, { host: b.address.address, port: b.address.port })));
        throw err;
      }
    }
    // Everything is bound: from here on nothing throws. Kept listeners take their new settings.
    for (const apply of settings) apply();
    const next = new Map<string, Bound>();
    for (const k of keys) next.set(k, fresh.get(k) ?? this.#bound.get(k)!);
    const closed: AddressInfo[] = [];
    for (const [k, b] of this.#bound) {
      if (next.get(k) === b) continue;
      closed.push(b.address);
      retire(b.server);
    }
    this.#bound = next;
    return { opened: [...fresh.values()].map((b) => b.address), closed };
  }

  /** Applies changed front timeouts and settings to the running servers (Node reads them per request). */
  applyTimeouts(front: FrontConfig): void {
    this.#front = front;
    for (const b of this.#bound.values()) applyFront(b.server, front);
  }
}
