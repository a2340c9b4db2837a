/**
 * @module resilience/error-breaker
 * Hystrix-style error-rate circuit breaker, one circuit per server, owning the flag
 * `circuit_open`. Closed: a rolling window of `window` ms counts attempts and failures
 * (isFailure: gateway failures and 5xx); once it holds at least min_requests and the share
 * of failures reaches error_rate, the circuit opens for open_for. Then half-open: the flag
 * is cleared so the scheduler may pick the server again, and after half_open_probes
 * attempts have started it is set again so no more reach it until they finish. Any failed
 * probe reopens the circuit for another open_for; all of them succeeding closes it with an
 * empty window. A cancelled probe frees its slot (the flag is cleared if the probe limit
 * had set it); other `cancelled` attempts are ignored. Whatever is reported while the
 * circuit is open, or in half-open with no probe outstanding, came from attempts that
 * started before it opened and is ignored (with probes outstanding the two can't be told
 * apart: such a late outcome counts as a probe's).
 *
 * Requests that never reached a server (the proxy's own 503s for concurrency overflow or a
 * full pending queue) are never reported to observers, so they can't trip a breaker.
 *
 * When a probe fails after the probe limit set the flag, re-opening sets the flag again
 * with the new reason: Server.setFlag updates the reason of a set flag and emits an event.
 *
 * Hot reload: `sync(servers)` follows a changed server list. Servers in both lists keep
 * their circuit as it is (state, window, probe counts, the open_for timer); new servers
 * get a closed circuit with an empty window. Servers gone are forgotten: their timer is
 * cancelled and a `circuit_open` flag on them is left as it is (they are retired).
 *
 * A server that arrives (constructor or sync) already carrying `circuit_open` gets a
 * closed circuit and the flag is not this breaker's to clear. In a hot reload that
 * changes circuit_breaker, the previous breaker's stop() clears the flags it set, so the
 * new one never inherits an open circuit.
 *
 * Caller guarantees: onAttemptStart/onAttemptEnd pair up per attempt (core/outcome);
 * flag listeners don't throw. Servers not passed to the constructor or the last sync are
 * ignored. `stop()` clears the flags this breaker set, so a retired breaker can't keep a
 * server out.
 */
import type { Clock } from '../core/clock.js';
import type { BreakerConfig } from '../core/config.js';
import { isFailure, type AttemptObserver, type AttemptOutcome } from '../core/outcome.js';
import type { Server } from '../core/server.js';
import { formatDuration } from '../core/format.js';
import { RollingWindow } from './rolling-window.js';
import { syncServers } from './server-map.js';
import { Timer } from './timer.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

interface Circuit {
  state: CircuitState;
  readonly window: RollingWindow;
  readonly timer: Timer;
  /** Half-open: probe attempts started, and those that succeeded. */
  started: number;
  passed: number;
  /** Times the circuit went from closed to open (re-openings after a failed probe excluded). */
  trips: number;
}

const FLAG = 'circuit_open';

export class ErrorRateBreaker implements AttemptObserver {
  readonly #config: BreakerConfig;
  readonly #clock: Clock;
  readonly #circuits = new Map<Server, Circuit>();
  readonly #probes: number;
  #stopped = false;

  constructor(servers: readonly Server[], config: BreakerConfig, deps: { clock: Clock }) {
    this.#config = config;
    this.#clock = deps.clock;
    this.#probes = Math.max(1, config.half_open_probes);
    this.sync(servers);
  }

  /**
   * Follows a changed server list: kept servers keep their circuit, new ones get a closed
   * one, gone ones are forgotten (timer cancelled, flag left). Idempotent; no-op once stopped.
   */
  sync(servers: readonly Server[]): void {
    if (this.#stopped) return;
    const fresh = (): Circuit => {
      const window = new RollingWindow(this.#config.window);
      return { state: 'closed', window, timer: new Timer(this.#clock), started: 0, passed: 0, trips: 0 };
    };
    syncServers(this.#circuits, servers, fresh, (_server, c) => c.timer.cancel());
  }

  /** Closed-to-open transitions of the server's circuit so far (0 for a server this breaker does not watch). */
  trips(server: Server): number {
    return this.#circuits.get(server)?.trips ?? 0;
  }

  /** 'closed' also for a server this breaker does not watch. */
  state(server: Server): CircuitState {
    return this.#circuits.get(server)?.state ?? 'closed';
  }

  onAttemptStart(server: Server): void {
    const c = this.#circuits.get(server);
    if (c === undefined || c.state !== 'half_open' || this.#stopped) return;
    if (++c.started !== this.#probes) return;
    server.setFlag(FLAG, `half-open: ${plural(this.#probes, 'probe')} in flight`, this.#clock.now());
  }

  onAttemptEnd(server: Server, outcome: AttemptOutcome): void {
    const c = this.#circuits.get(server);
    if (c === undefined || c.state === 'open' || this.#stopped) return;
    if (c.state === 'half_open') return this.#probeEnded(server, c, outcome);
    if (outcome.result === 'cancelled') return;
    const w = c.window;
    w.record(this.#clock.now(), isFailure(outcome));
    // Checked after successes too: the one that brings the window to min_requests may
    // find the rate already over the limit.
    if (w.failures > 0 && w.requests >= this.#config.min_requests && w.failures / w.requests >= this.#config.error_rate) {
      const rate = Math.round((100 * w.failures) / w.requests);
      const span = formatDuration(this.#config.window);
      c.trips++;
      this.#open(server, c, `error rate ${rate}% over ${span} (${w.failures} of ${w.requests} requests failed)`);
    }
  }

  /** Cancels every timer and clears the flags this breaker set; all circuits close. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const [server, c] of this.#circuits) {
      c.timer.cancel();
      if (c.state !== 'closed') server.clearFlag(FLAG, 'circuit breaker stopped', this.#clock.now());
      c.state = 'closed';
    }
  }

  #open(server: Server, c: Circuit, why: string): void {
    c.state = 'open';
    c.timer.start(this.#config.open_for, () => this.#halfOpen(server, c));
    server.setFlag(FLAG, `${why}; open for ${formatDuration(this.#config.open_for)}`, this.#clock.now());
  }

  #halfOpen(server: Server, c: Circuit): void {
    c.state = 'half_open';
    c.started = 0;
    c.passed = 0;
    server.clearFlag(FLAG, `half-open: letting ${plural(this.#probes, 'probe request')} through`, this.#clock.now());
  }

  #probeEnded(server: Server, c: Circuit, outcome: AttemptOutcome): void {
    // With no probe outstanding this attempt started before the circuit opened: ignore it.
    if (c.started <= c.passed) return;
    const now = this.#clock.now();
    if (outcome.result === 'cancelled') {
      // The slot is free again; if the probe limit had closed the door, reopen it.
      if (c.started-- === this.#probes) server.clearFlag(FLAG, 'half-open: a probe was cancelled; letting 1 more through', now);
    } else if (isFailure(outcome)) {
      this.#open(server, c, `half-open probe failed: ${outcome.code || outcome.status || outcome.result}`);
    } else if (++c.passed === this.#probes) {
      c.state = 'closed';
      c.window.reset();
      server.clearFlag(FLAG, `half-open: ${plural(this.#probes, 'probe')} succeeded; closed`, now);
    }
  }
}

function plural(n: number, what: string): string {
  return n === 1 ? `1 ${what}` : `${n} ${what}s`;
}
