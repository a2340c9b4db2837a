/**
 * @module core/server
 * One upstream server as every part of bulwark sees it. Each fault-tolerance part owns
 * exactly one flag (Envoy's per-host health flags): the active checker, outlier
 * detection, the breaker and the admin set and clear their own flag and never each
 * other's. A server is available when it carries no flag. Schedulers never read flags:
 * they are handed the available servers only (see balancer/server-set.ts).
 */

export const SERVER_FLAGS = ['failed_health_check', 'ejected', 'circuit_open', 'draining', 'disabled'] as const;
export type ServerFlag = (typeof SERVER_FLAGS)[number];

export interface FlagState {
  /** Epoch milliseconds when the flag was set. */
  readonly since: number;
  /** Human-readable cause, e.g. "3 consecutive check failures: connect ECONNREFUSED". */
  readonly reason: string;
}

export interface FlagChange {
  readonly server: Server;
  readonly flag: ServerFlag;
  /** true when the flag was set, false when cleared. */
  readonly set: boolean;
  readonly reason: string;
  readonly at: number;
}

export type FlagListener = (change: FlagChange) => void;

/** One active health check's result, as last seen for a server. */
export interface CheckSnapshot {
  readonly ok: boolean;
  /** e.g. "HTTP 200", "connect ECONNREFUSED". */
  readonly detail: string;
  readonly durationMs: number;
  /** Epoch milliseconds when the result came in. */
  readonly at: number;
}

/** One flag change kept in Server.history, with the last check result at that moment. */
export interface Transition {
  readonly at: number;
  readonly flag: ServerFlag;
  readonly set: boolean;
  readonly reason: string;
  readonly check: CheckSnapshot | undefined;
}

/** How many transitions each server keeps (the oldest go first). */
export const HISTORY_SIZE = 20;

/** The `code` label of each Server.attempts slot: the status class, or why there was none. */
export const ATTEMPT_CODES = ['error', '1xx', '2xx', '3xx', '4xx', '5xx', 'cancelled'] as const;

/** The ATTEMPT_CODES index of a response status (1-5); 0 for anything outside 100-599. */
export function statusClass(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
}

export interface ServerInit {
  readonly upstream: string;
  readonly name: string;
  /** Origin only: scheme, host and port, e.g. "http://127.0.0.1:3001". */
  readonly origin: string;
  readonly weight: number;
  /** A backup server takes traffic only while no primary server is available. */
  readonly backup?: boolean;
}

export class Server {
  readonly id: string;
  readonly upstream: string;
  readonly name: string;
  readonly origin: string;
  /** Set from config; a reload may change it. */
  backup: boolean;
  /** The weight from the config (or a runtime override). */
  configuredWeight: number;
  /**
   * The effective weight schedulers read: `configuredWeight`, or less while slow start
   * ramps a recovered server up (may be fractional). Whoever changes it must call
   * ServerSet.refresh() so schedulers see a new array.
   */
  weight: number;
  /** Requests forwarded to this server and not yet finished. Maintained by the proxy. */
  activeRequests = 0;
  /**
   * Attempts that ended on this server, by ATTEMPT_CODES index (no response, 1xx…5xx,
   * cancelled). Plain numbers counted by the proxy, read by metrics at scrape time: the hot
   * path touches no registry and allocates nothing.
   */
  readonly attempts = [0, 0, 0, 0, 0, 0, 0];
  /** Of those attempts, the retries (a request's second attempt or later). Counted by the proxy. */
  retries = 0;
  /** WebSocket tunnels open to this server now (after their 101). Maintained by the proxy. */
  tunnels = 0;
  /**
   * The last active health check's result, or undefined while none ran. Set by whoever
   * follows the checker (runtime/fault-tolerance), before the flag change that check
   * causes, so the transition records the check behind it.
   */
  lastCheck: CheckSnapshot | undefined;
  readonly #history: Transition[] = [];
  readonly #flags = new Map<ServerFlag, FlagState>();
  readonly #listeners = new Set<FlagListener>();

  constructor(init: ServerInit) {
    this.upstream = init.upstream;
    this.name = init.name;
    this.origin = init.origin;
    this.configuredWeight = init.weight;
    this.weight = init.weight;
    this.backup = init.backup ?? false;
    this.id = `${init.upstream}/${init.name}`;
  }

  get available(): boolean {
    return this.#flags.size === 0;
  }

  get flags(): ReadonlyMap<ServerFlag, FlagState> {
    return this.#flags;
  }

  hasFlag(flag: ServerFlag): boolean {
    return this.#flags.has(flag);
  }

  /**
   * Sets `flag`. Setting an already-set flag keeps its original `since`; if the reason
   * changed (a breaker re-opening while open, say), the reason is updated and a `set`
   * event goes out again so logs show why the server is still out.
   */
  setFlag(flag: ServerFlag, reason: string, at: number): void {
    const current = this.#flags.get(flag);
    if (current !== undefined && current.reason === reason) return;
    this.#flags.set(flag, { since: current?.since ?? at, reason });
    this.#emit({ server: this, flag, set: true, reason, at });
  }

  clearFlag(flag: ServerFlag, reason: string, at: number): void {
    if (!this.#flags.delete(flag)) return;
    this.#emit({ server: this, flag, set: false, reason, at });
  }

  /** The last HISTORY_SIZE flag changes, oldest first. */
  get history(): readonly Transition[] {
    return this.#history;
  }

  /** Subscribes to flag changes; returns the unsubscribe function. */
  onFlagChange(listener: FlagListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: FlagChange): void {
    // Flag changes are rare (never per request), so a shifted array is ring enough.
    this.#history.push({ at: change.at, flag: change.flag, set: change.set, reason: change.reason, check: this.lastCheck });
    if (this.#history.length > HISTORY_SIZE) this.#history.shift();
    for (const l of this.#listeners) l(change);
  }
}
