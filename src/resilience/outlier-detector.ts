/**
 * @module resilience/outlier-detector
 * Passive outlier detection, Envoy's consecutive_5xx and consecutive_gateway_failure
 * detectors: a server that keeps failing real traffic is ejected (flag `ejected`) before
 * the active checker would notice, for base_ejection_time × (times ejected), capped at
 * max_ejection_time, plus up to `jitter` of that at random so ejected servers don't return
 * in step. At most max(1, floor(max_ejection_percent × servers)) are ejected at once: a
 * detection over the cap is counted in `detected` but not enforced.
 *
 * Counting: a 5xx response adds to the 5xx run and any other response ends it; a gateway
 * failure (no usable response) adds to the gateway run and any response ends it (unlike
 * Envoy, a 502/503/504 response is not a gateway failure: it is a 5xx). `cancelled`
 * attempts are not the server's fault and are ignored, as is everything reported while a
 * server is ejected (attempts that started before it was). Both runs restart after every
 * detection, enforced or not.
 *
 * Decay: a server that has stayed un-ejected for max_ejection_time since its last
 * ejection starts over at ejection #1 (checked lazily when it is next detected).
 *
 * A threshold of 0 turns that detector off.
 *
 * Hot reload: `sync(servers)` follows a changed server list. Servers in both lists keep
 * their runs, ejection count, decay reference and any ejection with its timer; new
 * servers start fresh; the cap is recomputed for the new count (ejections already over it
 * stand). Servers gone are forgotten: their un-eject timer is cancelled and they no
 * longer count towards the cap, but an `ejected` flag on them is left as it is (they are
 * retired, and nobody schedules to them any more).
 *
 * A server that arrives (constructor or sync) already carrying `ejected` is watched with
 * fresh state and the flag is not this detector's to clear: it stays until whoever set it
 * clears it. In a hot reload that changes outlier_detection, the previous detector's
 * stop() clears the flags it set, so the new one never inherits an ejection.
 *
 * Caller guarantees: `servers` is the upstream's full list; flag listeners don't throw.
 * Outcomes for servers not in the list are ignored. `stop()` also clears the flags this
 * detector set, so a retired detector can't leave a server ejected for good.
 */
import type { Clock, Random } from '../core/clock.js';
import type { OutlierConfig } from '../core/config.js';
import { isGatewayFailure, type AttemptObserver, type AttemptOutcome } from '../core/outcome.js';
import type { Server } from '../core/server.js';
import { formatDuration } from '../core/format.js';
import { syncServers } from './server-map.js';
import { Timer } from './timer.js';

export type OutlierKind = 'consecutive_5xx' | 'consecutive_gateway_failures';
export type OutlierCounts = Record<OutlierKind, number>;

/** The detector's counters, as /status shows them (snake_case, as every /status key). */
export interface OutlierStats {
  readonly detected: Readonly<OutlierCounts>;
  readonly enforced: Readonly<OutlierCounts>;
  readonly ejected_now: number;
}

export interface OutlierInfo {
  /** Ejections so far (after decay): the next one lasts base_ejection_time × (this + 1). */
  readonly timesEjected: number;
  /** Epoch ms when the current ejection ends; undefined when not ejected. */
  readonly ejectedUntil: number | undefined;
}

interface HostState {
  run5xx: number;
  runGateway: number;
  timesEjected: number;
  ejectedUntil: number | undefined;
  /** When the last ejection ended (or the detector started): the decay reference. */
  unejectedAt: number;
  readonly timer: Timer;
  /** This server's share of the detector's `detected` and `enforced` counts (for metrics). */
  readonly detected: OutlierCounts;
  readonly enforced: OutlierCounts;
}

const noCounts = (): OutlierCounts => ({ consecutive_5xx: 0, consecutive_gateway_failures: 0 });

export class OutlierDetector implements AttemptObserver {
  readonly #config: OutlierConfig;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #hosts = new Map<Server, HostState>();
  /** max(1, floor(max_ejection_percent × servers)); recomputed by sync. */
  #maxEjected = 1;
  /** max(base, max): Envoy's cap, so a max below base can't shorten the first ejection. */
  readonly #cap: number;
  readonly #detected = noCounts();
  readonly #enforced = noCounts();
  #ejectedNow = 0;
  #stopped = false;

  constructor(servers: readonly Server[], config: OutlierConfig, deps: { clock: Clock; random: Random }) {
    this.#config = config;
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#cap = Math.max(config.base_ejection_time, config.max_ejection_time);
    this.sync(servers);
  }

  /**
   * Follows a changed server list: kept servers keep all their state, new ones start
   * fresh, gone ones are forgotten (timer cancelled, flag left). Idempotent; no-op once stopped.
   */
  sync(servers: readonly Server[]): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    const fresh = (): HostState => {
      const timer = new Timer(this.#clock);
      return { run5xx: 0, runGateway: 0, timesEjected: 0, ejectedUntil: undefined, unejectedAt: now, timer, detected: noCounts(), enforced: noCounts() };
    };
    syncServers(this.#hosts, servers, fresh, (_server, h) => {
      h.timer.cancel();
      if (h.ejectedUntil !== undefined) this.#ejectedNow--;
    });
    this.#maxEjected = Math.max(1, Math.floor(this.#config.max_ejection_percent * this.#hosts.size));
  }

  onAttemptEnd(server: Server, outcome: AttemptOutcome): void {
    const h = this.#hosts.get(server);
    if (h === undefined || h.ejectedUntil !== undefined || this.#stopped) return;
    if (outcome.result === 'response') {
      h.runGateway = 0;
      if (outcome.status < 500) h.run5xx = 0;
      else if (++h.run5xx === this.#config.consecutive_5xx) {
        this.#detect(server, h, 'consecutive_5xx', `${h.run5xx} consecutive 5xx responses (last: ${outcome.status})`);
      }
    } else if (isGatewayFailure(outcome) && ++h.runGateway === this.#config.consecutive_gateway_failures) {
      const last = outcome.code || outcome.result;
      this.#detect(server, h, 'consecutive_gateway_failures', `${h.runGateway} consecutive gateway failures (last: ${last})`);
    }
  }

  /** An active health check passed: an ejected server returns at once. */
  onHealthCheckPassed(server: Server): void {
    const h = this.#hosts.get(server);
    if (h !== undefined && h.ejectedUntil !== undefined && !this.#stopped) this.#uneject(server, h, 'active health check passed');
  }

  stats(): OutlierStats {
    return { detected: { ...this.#detected }, enforced: { ...this.#enforced }, ejected_now: this.#ejectedNow };
  }

  /** The server's detections and ejections so far, by detector; undefined for a server this detector does not watch. */
  ejections(server: Server): Pick<OutlierStats, 'detected' | 'enforced'> | undefined {
    return this.#hosts.get(server);
  }

  /** Undefined for a server this detector does not watch. */
  info(server: Server): OutlierInfo | undefined {
    const h = this.#hosts.get(server);
    if (h === undefined) return undefined;
    return { timesEjected: this.#decayed(h), ejectedUntil: h.ejectedUntil };
  }

  /** Cancels every timer and clears the `ejected` flags this detector set. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    for (const [server, h] of this.#hosts) if (h.ejectedUntil !== undefined) this.#uneject(server, h, 'outlier detection stopped');
    this.#stopped = true;
  }

  #detect(server: Server, h: HostState, kind: OutlierKind, what: string): void {
    h.run5xx = 0;
    h.runGateway = 0;
    this.#detected[kind]++;
    h.detected[kind]++;
    if (this.#ejectedNow >= this.#maxEjected) return;
    this.#enforced[kind]++;
    h.enforced[kind]++;
    const n = (h.timesEjected = this.#decayed(h) + 1);
    const capped = Math.min(this.#config.base_ejection_time * n, this.#cap);
    const ms = Math.round(capped * (1 + this.#random() * this.#config.jitter));
    const now = this.#clock.now();
    h.ejectedUntil = now + ms;
    this.#ejectedNow++;
    h.timer.start(ms, () => this.#uneject(server, h, 'ejection time elapsed'));
    server.setFlag('ejected', `${what}; ejected for ${formatDuration(ms)} (ejection #${n})`, now);
  }

  #uneject(server: Server, h: HostState, reason: string): void {
    h.timer.cancel();
    h.ejectedUntil = undefined;
    this.#ejectedNow--;
    h.unejectedAt = this.#clock.now();
    server.clearFlag('ejected', reason, h.unejectedAt);
  }

  /** timesEjected, or 0 when the server has been back for max_ejection_time. */
  #decayed(h: HostState): number {
    const idle = h.ejectedUntil === undefined && this.#clock.now() - h.unejectedAt >= this.#cap;
    return idle ? 0 : h.timesEjected;
  }
}
