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
 * Caller guarantees: nothing else changes `weight` while a server ramps; `set` stays open
 * while this lives. `stop()` cancels the ramps, restores every weight it lowered to
 * `configuredWeight` and stops listening. With durationMs <= 0 it does nothing at all.
 */
import type { Clock } from '../core/clock.js';
import type { Server } from '../core/server.js';
import type { ServerSet } from '../balancer/server-set.js';
import { Timer } from './timer.js';

interface Ramp {
  /** Availability as last seen, to spot the unavailable → available edge. */
  available: boolean;
  /** Epoch ms the current ramp began. */
  since: number;
  /** True once this SlowStart has lowered the weight (so stop() knows to restore it). */
  lowered: boolean;
  readonly timer: Timer;
}

export class SlowStart {
  readonly #set: ServerSet;
  readonly #duration: number;
  readonly #interval: number;
  readonly #floor: number;
  readonly #clock: Clock;
  readonly #ramps = new Map<Server, Ramp>();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(set: ServerSet, durationMs: number, deps: { clock: Clock }) {
    this.#set = set;
    this.#duration = durationMs;
    this.#interval = Math.max(100, durationMs / 20);
    this.#floor = Math.min(1, this.#interval / durationMs);
    this.#clock = deps.clock;
    if (durationMs <= 0) return;
    for (const s of set.all) {
      this.#ramps.set(s, { available: s.available, since: 0, lowered: false, timer: new Timer(deps.clock) });
      this.#unsubscribe.push(s.onFlagChange(() => this.#changed(s)));
    }
  }

  /** Whether `server` is ramping up right now. */
  ramping(server: Server): boolean {
    return this.#ramps.get(server)?.timer.pending ?? false;
  }

  /** Cancels all ramps, restores lowered weights to configuredWeight and stops listening. */
  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    let changed = false;
    for (const [server, r] of this.#ramps) {
      r.timer.cancel();
      if (!r.lowered) continue;
      r.lowered = false;
      server.weight = server.configuredWeight;
      changed = true;
    }
    if (changed) this.#set.refresh();
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
