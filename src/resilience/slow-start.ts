/**
 * @module resilience/slow-start
 * HAProxy's `slowstart`: a server that comes back (its last flag cleared) would otherwise
 * take its full share of traffic at once, cold caches and all. Instead its effective
 * `weight` grows linearly with time from a floor to `configuredWeight` over durationMs,
 * one step every max(100 ms, durationMs / 20), and the ServerSet is refreshed after each
 * step so schedulers see the change. The floor is one step's share, interval / durationMs
 * (5% for ramps of 2 s or more), so a returning server never has weight 0; a ramp shorter
 * than one step returns the full weight at once.
 *
 * A server that becomes unavailable mid-ramp keeps the weight it had reached (nobody picks
 * it meanwhile) and ramps again from the floor when it returns. Servers available when the
 * SlowStart is built don't ramp; one that starts flagged (say, before its first health
 * check) ramps when it first becomes available. `configuredWeight` is read at every step,
 * so a runtime override during a ramp is followed.
 *
 * Hot reload: `sync(set)` moves to the upstream's new ServerSet (over the kept and new
 * servers) and refreshes that one from then on. Kept servers keep their ramp, timer and
 * all; new servers are watched as at construction (available ones don't ramp); servers
 * gone have their ramp cancelled, their weight restored to `configuredWeight` if it was
 * lowered (so a server that is added back later is not stuck slow) and are no longer
 * listened to. Their flags are never touched.
 *
 * Caller guarantees: nothing else changes `weight` while a server ramps; the current set
 * stays open while this lives. `stop()` cancels the ramps, restores every weight it
 * lowered to `configuredWeight` and stops listening; a stopped SlowStart ignores sync.
 * With durationMs <= 0 it does nothing at all.
 */
import type { Clock } from '../core/clock.js';
import type { Server } from '../core/server.js';
import type { ServerSet } from '../balancer/server-set.js';
import { syncServers } from './server-map.js';
import { Timer } from './timer.js';

interface Ramp {
  /** Availability as last seen, to spot the unavailable → available edge. */
  available: boolean;
  /** Epoch ms the current ramp began. */
  since: number;
  /** True once this SlowStart has lowered the weight (so stop() knows to restore it). */
  lowered: boolean;
  readonly timer: Timer;
  /** Stops listening to the server's flag changes. */
  readonly unsubscribe: () => void;
}

export class SlowStart {
  #set: ServerSet;
  readonly #duration: number;
  readonly #interval: number;
  readonly #floor: number;
  readonly #clock: Clock;
  readonly #ramps = new Map<Server, Ramp>();
  #stopped = false;

  constructor(set: ServerSet, durationMs: number, deps: { clock: Clock }) {
    this.#set = set;
    this.#duration = durationMs;
    this.#interval = Math.max(100, durationMs / 20);
    this.#floor = Math.min(1, this.#interval / durationMs);
    this.#clock = deps.clock;
    this.sync(set);
  }

  /**
   * Moves to `set` (the upstream's new ServerSet): kept servers keep their ramps, new ones
   * are watched, gone ones are forgotten with their weight restored. Idempotent; no-op once stopped.
   */
  sync(set: ServerSet): void {
    if (this.#stopped || this.#duration <= 0) return;
    this.#set = set;
    syncServers(this.#ramps, set.all, (s) => this.#watch(s), (s, r) => this.#forget(s, r));
  }

  /** Whether `server` is ramping up right now. */
  ramping(server: Server): boolean {
    return this.#ramps.get(server)?.timer.pending ?? false;
  }

  /** Cancels all ramps, restores lowered weights to configuredWeight and stops listening. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    let changed = false;
    for (const [server, r] of this.#ramps) changed = this.#forget(server, r) || changed;
    if (changed) this.#set.refresh();
  }

  #watch(server: Server): Ramp {
    const unsubscribe = server.onFlagChange(() => this.#changed(server));
    return { available: server.available, since: 0, lowered: false, timer: new Timer(this.#clock), unsubscribe };
  }

  /** Stops listening and cancels the ramp; restores a lowered weight and says whether it did. */
  #forget(server: Server, r: Ramp): boolean {
    r.unsubscribe();
    r.timer.cancel();
    if (!r.lowered) return false;
    r.lowered = false;
    server.weight = server.configuredWeight;
    return true;
  }

  #changed(server: Server): void {
    const r = this.#ramps.get(server)!;
    if (server.available === r.available) return;
    r.available = server.available;
    if (!r.available) {
      r.timer.cancel();
      return;
    }
    r.since = this.#clock.now();
    this.#step(server, r);
  }

  /** Sets the weight for the time since the ramp began and schedules the next step. */
  #step(server: Server, r: Ramp): void {
    const progress = (this.#clock.now() - r.since) / this.#duration;
    // (A hair under 1 still counts: steps of durationMs / 20 need not add up exactly.)
    const done = progress >= 1 - 1e-9 || this.#floor >= 1;
    const share = done ? 1 : this.#floor + (1 - this.#floor) * progress;
    server.weight = server.configuredWeight * share;
    r.lowered = !done;
    if (!done) r.timer.start(this.#interval, () => this.#step(server, r));
    this.#set.refresh();
  }
}
