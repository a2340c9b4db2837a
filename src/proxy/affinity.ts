/**
 * @module proxy/affinity
 * Session affinity on the request path (HAProxy stick tables): the first attempt of a
 * request goes to the server its session is pinned to, if that server can take it;
 * otherwise the scheduler picks and the session is re-pinned to whichever server answers
 * (counted in `repins`, and by REPIN_REASONS). Cookie mode inserts an opaque session cookie on the first
 * response; learn mode learns the application's own session cookie from responses.
 * Retries never follow the pin: a retry goes to a server this request has not tried.
 * Pins are read and written through the upstream's StickyStore (the table itself unless a
 * factory is given), so a store shared by a worker group needs no change here. A fleet's
 * store may also look a key up elsewhere (lookup(), awaited once by the exchange), or sign
 * cookie-mode cookies that carry their server (store.signer): then no table is read for them.
 */
import type { IncomingMessage } from 'node:http';
import type { StickyConfig } from '../core/config.js';
import type { Server } from '../core/server.js';
import { headerValues } from './headers.js';
import { learnFromSetCookie, newSessionId, REPIN_REASONS, setCookieHeader, stickyKey, StickyTable } from '../balancer/sticky/index.js';
import type { RepinReason, StickyStore, StickyStoreFactory } from '../balancer/sticky/index.js';

export class Affinity {
  readonly config: StickyConfig;
  /** This process's copy of the pins (metrics, export, import read it). */
  readonly table: StickyTable;
  /** What the request path reads and pins through. */
  readonly store: StickyStore;
  readonly #maxAgeSec: number;
  /** The upstream's servers now (read when a pin moves, to say why). */
  readonly #servers: () => readonly Server[];

  /** `now`: the wall clock a new table's ttls run on (the proxy's Clock; a kept `table` has its own). */
  constructor(config: StickyConfig, upstream: string, servers: () => readonly Server[], table?: StickyTable, store?: StickyStoreFactory, now?: () => number) {
    this.config = config;
    this.table = table ?? new StickyTable(config, { upstream, now });
    this.store = store?.(this.table, () => servers().map((s) => s.name)) ?? this.table;
    this.#servers = servers;
    this.#maxAgeSec = Math.round(config.ttl / 1000);
  }

  /** The request's session key, if it carries one. */
  key(req: IncomingMessage, clientIp: string | undefined): string | undefined {
    return stickyKey(this.config, { headers: req.headers, clientIp });
  }

  /**
   * For a key get() does not know, what the store asks of a shared copy (see StickyStore.lookup);
   * undefined: nothing to wait for. The caller awaits it at most once per request.
   */
  lookup(key: string): Promise<void> | undefined {
    if (this.store.lookup === undefined || this.store.signer !== undefined || this.table.peek(key) !== undefined) return undefined;
    return this.store.lookup(key);
  }

  /** The server `key` is pinned to, when it is in `servers` and usable (caller checks limits). */
  pinned(key: string, servers: readonly Server[]): Server | undefined {
    const signer = this.store.signer;
    const name = signer === undefined ? this.store.get(key) : signer.read(key);
    if (name === undefined) return undefined;
    for (const s of servers) if (s.name === name) return s.available ? s : undefined;
    return undefined;
  }

  /**
   * Why the server `key` is pinned to did not get a request, for the access log's steer:
   * "repin(NAME:WHY)", WHY its flag, "busy" (at max_concurrent) or "gone" from the upstream;
   * "" when the session has no pin yet.
   */
  missReason(key: string): string {
    const signer = this.store.signer;
    const name = signer === undefined ? this.table.get(key) : signer.read(key);
    if (name === undefined) return '';
    const s = this.#servers().find((x) => x.name === name);
    const why = s === undefined ? 'gone' : s.available ? 'busy' : (s.flags.keys().next().value ?? 'unavailable');
    return `repin(${name}:${why})`;
  }

  /**
   * Records which server answered the request (called once, when its response head is
   * forwarded). `responseHead` is the forwarded head (flat, lower-case names); `secure`: the
   * request came in over TLS. Returns a Set-Cookie value to add to the response, if any.
   */
  commit(key: string | undefined, server: Server, responseHead: readonly string[], secure = false): string | undefined {
    const mode = this.config.mode;
    if (mode === 'cookie' && this.store.signer !== undefined) return this.#signed(key, server, secure);
    // Cookie mode only honours ids bulwark issued (and still holds): an unknown id gets a
    // fresh cookie, so clients can't fill the table with invented ids.
    if (mode === 'cookie' && (key === undefined || this.store.get(key) === undefined)) {
      const id = newSessionId();
      this.store.set(id, server.name);
      // Secure on a TLS listener: the browser then never sends the session id in clear.
      return setCookieHeader(this.config.name!, id, { secure, maxAgeSec: this.#maxAgeSec });
    }
    if (mode === 'learn') {
      const learned = learnFromSetCookie(headerValues(responseHead, 'set-cookie'), this.config.name!);
      if (learned !== undefined) this.#pin(learned, server);
    }
    if (key !== undefined) this.#pin(key, server);
    return undefined;
  }

  /** Pins `key` to `server` unless it is already; set() counts a moved pin as a re-pin, with its reason. */
  #pin(key: string, server: Server): void {
    const old = this.store.get(key);
    if (old === server.name) return;
    this.store.set(key, server.name, this.#why(old));
  }

  /** Why a session pinned to the server named `old` moved: it is gone, carries a flag, or was passed over. */
  #why(old: string | undefined): RepinReason {
    const was = old === undefined ? undefined : this.#servers().find((s) => s.name === old);
    return was === undefined ? REPIN_REASONS[0] : was.available ? REPIN_REASONS[2] : REPIN_REASONS[1];
  }

  /**
   * Signed cookie mode: a new cookie when the request's does not verify or names another
   * server than the one that answered (a move, counted like a re-pin; a signed cookie whose
   * server this upstream no longer has counts as server_removed). No table is touched.
   */
  #signed(key: string | undefined, server: Server, secure: boolean): string | undefined {
    const signer = this.store.signer!;
    const was = key === undefined ? undefined : signer.read(key);
    if (was === server.name) return undefined;
    if (was !== undefined || (key !== undefined && signer.signed(key))) this.table.countRepin(this.#why(was));
    return setCookieHeader(this.config.name!, signer.mint(server.name), { secure, maxAgeSec: this.#maxAgeSec });
  }
}
