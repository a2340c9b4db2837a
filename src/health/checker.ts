/**
 * @module health/checker
 * Active health checks (HAProxy `check` with rise/fall and fastinter). Each server is
 * probed on its own connection; `fall` consecutive failures set the server's
 * `failed_health_check` flag and `rise` consecutive successes clear it. Servers start
 * available: the checker sets no flag until checks have failed. A server that already
 * carries `failed_health_check` when the checker starts or when sync adds it (left by the
 * checker this one replaces) starts down: it takes `rise` passing checks to clear the
 * flag, which this checker then clears although it did not set it.
 *
 * Hot reload: `sync(servers)` follows a changed server list. Servers in both lists keep
 * their counters, their next check and any check in flight; new servers get fresh
 * counters and, once the checker is started, are checked at once, as start() does. Servers
 * gone have their timer cancelled and their in-flight probe aborted (its result dropped);
 * their flag is left as it is.
 *
 * Scheduling uses the injected Clock (so tests and timing logic never sleep); probe
 * deadlines use real timers because they bound real I/O. The next check of a server is
 * scheduled only when its current one has finished, so checks of one server never overlap.
 *
 * Callers must guarantee: nobody else sets or clears `failed_health_check` on these
 * servers while this checker watches them (a checker stopped before this one started may
 * have left it set); result listeners and flag listeners do not throw (a throw surfaces
 * as an unhandled rejection). A stopped checker cannot be started again: build a new one.
 */
import type { Clock, Random, TimerHandle } from '../core/clock.js';
import type { HealthCheckConfig, UpstreamTls } from '../core/config.js';
import type { Server } from '../core/server.js';
import type { Probe, ProbeOutcome } from './probe.js';
import { httpProbe } from './probe-http.js';
import { tcpProbe } from './probe-tcp.js';

export interface CheckResult {
  readonly server: Server;
  readonly ok: boolean;
  /** e.g. "HTTP 200", "connect ECONNREFUSED", "timeout after 1000ms", "HTTP 503 (expected 200-399)". */
  readonly detail: string;
  /** Real time the probe took, ms. */
  readonly durationMs: number;
}

export interface HealthCheckerDeps {
  readonly clock: Clock;
  readonly random: Random;
}

export interface CheckState {
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** Detail of the last completed check; "" before the first. */
  readonly lastDetail: string;
  /** clock.now() when the last check completed; 0 before the first. */
  readonly lastCheckAt: number;
}

/** Per-server bookkeeping; `down` mirrors the flag this checker owns. */
type Entry = { -readonly [K in keyof CheckState]: CheckState[K] } & {
  down: boolean;
  timer: TimerHandle | undefined;
  inFlight: AbortController | undefined;
};

const FLAG = 'failed_health_check';

/** `base` ms scaled by a uniform factor in [1 - jitter, 1 + jitter], rounded to whole ms. */
export function jittered(base: number, jitter: number, random: Random): number {
  return Math.max(0, Math.round(base * (1 + (random() * 2 - 1) * jitter)));
}

export class HealthChecker {
  readonly #config: HealthCheckConfig;
  readonly #deps: HealthCheckerDeps;
  readonly #probe: Probe;
  readonly #entries = new Map<Server, Entry>();
  readonly #listeners = new Set<(r: CheckResult) => void>();
  #started = false;
  #stopped = false;

  /**
   * `tls`: the upstream's settings for its https:// servers (absent: Node's defaults);
   * `proxyProtocol`: its proxy_protocol (http checks send a LOCAL header first).
   */
  constructor(servers: readonly Server[], config: HealthCheckConfig, deps: HealthCheckerDeps, tls?: UpstreamTls, proxyProtocol?: 'v1' | 'v2') {
    this.#config = config;
    this.#deps = deps;
    this.#probe = config.type === 'tcp' ? tcpProbe(config, tls) : httpProbe(config, tls, proxyProtocol);
    this.sync(servers);
  }

  /** Checks every server at once, then each on its own schedule. Idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const [server, entry] of this.#entries) {
      entry.down = server.hasFlag(FLAG);
      void this.#check(server, entry);
    }
  }

  /**
   * Follows a changed server list: kept servers keep their counters and schedule, new ones
   * start fresh (checked at once if started), gone ones are no longer checked (flag left).
   * Idempotent, O(n); no-op once stopped.
   */
  sync(servers: readonly Server[]): void {
    if (this.#stopped) return;
    const keep = new Set(servers);
    for (const [server, entry] of this.#entries) {
      if (keep.has(server)) continue;
      this.#entries.delete(server);
      this.#cancel(entry);
    }
    for (const server of keep) if (!this.#entries.has(server)) this.#add(server);
  }

  /** Cancels every timer and aborts in-flight probes; their results are dropped. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries.values()) this.#cancel(entry);
  }

  /** Subscribes to every completed check; returns the unsubscribe function. */
  onResult(listener: (r: CheckResult) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A snapshot of `server`'s counters, or undefined when it is not checked here. */
  state(server: Server): CheckState | undefined {
    const e = this.#entries.get(server);
    if (!e) return undefined;
    const { consecutiveSuccesses, consecutiveFailures, lastDetail, lastCheckAt } = e;
    return { consecutiveSuccesses, consecutiveFailures, lastDetail, lastCheckAt };
  }

  /** Watches `server` with fresh counters, down if it is already flagged; checks it at once if started. */
  #add(server: Server): void {
    const fresh = { consecutiveSuccesses: 0, consecutiveFailures: 0, lastDetail: '', lastCheckAt: 0 };
    const entry: Entry = { ...fresh, down: server.hasFlag(FLAG), timer: undefined, inFlight: undefined };
    this.#entries.set(server, entry);
    if (this.#started) void this.#check(server, entry);
  }

  /** Cancels the entry's next check and aborts its probe in flight, whose result is then dropped. */
  #cancel(entry: Entry): void {
    if (entry.timer !== undefined) this.#deps.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.inFlight?.abort();
    entry.inFlight = undefined;
  }

  async #check(server: Server, entry: Entry): Promise<void> {
    entry.timer = undefined;
    const controller = new AbortController();
    entry.inFlight = controller;
    const started = performance.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.#probe(server, controller.signal);
    } catch (err) {
      // Probes never reject by contract; this keeps a broken one from stopping the schedule.
      outcome = { ok: false, detail: `probe error ${String(err)}` };
    }
    if (this.#stopped || entry.inFlight !== controller) return;
    entry.inFlight = undefined;
    const durationMs = Math.round(performance.now() - started);
    const change = this.#record(entry, outcome);
    this.#scheduleNext(server, entry);
    const now = this.#deps.clock.now();
    // Listeners hear the result before the flag change it causes, so a server's history
    // records the check behind each transition (runtime/fault-tolerance sets lastCheck).
    const result: CheckResult = { server, ok: outcome.ok, detail: outcome.detail, durationMs };
    for (const l of this.#listeners) l(result);
    if (change === 'set') server.setFlag(FLAG, `${entry.consecutiveFailures} consecutive check failures: ${outcome.detail}`, now);
    if (change === 'clear') server.clearFlag(FLAG, `${entry.consecutiveSuccesses} consecutive checks passed: ${outcome.detail}`, now);
  }

  /** Updates the counters; says whether the flag must now be set or cleared. */
  #record(entry: Entry, outcome: ProbeOutcome): 'set' | 'clear' | undefined {
    entry.lastDetail = outcome.detail;
    entry.lastCheckAt = this.#deps.clock.now();
    entry.consecutiveSuccesses = outcome.ok ? entry.consecutiveSuccesses + 1 : 0;
    entry.consecutiveFailures = outcome.ok ? 0 : entry.consecutiveFailures + 1;
    const count = outcome.ok ? entry.consecutiveSuccesses : entry.consecutiveFailures;
    // A success can only bring a down server up, a failure only take an up server down.
    if (entry.down !== outcome.ok || count < (outcome.ok ? this.#config.rise : this.#config.fall)) return undefined;
    entry.down = !outcome.ok;
    return entry.down ? 'set' : 'clear';
  }

  /** fast_interval while counting towards a change of state (HAProxy fastinter), else interval. */
  #scheduleNext(server: Server, entry: Entry): void {
    const between = entry.down ? entry.consecutiveSuccesses > 0 : entry.consecutiveFailures > 0;
    const base = between ? this.#config.fast_interval : this.#config.interval;
    const delay = jittered(base, this.#config.jitter, this.#deps.random);
    entry.timer = this.#deps.clock.setTimeout(() => void this.#check(server, entry), delay);
  }
}
