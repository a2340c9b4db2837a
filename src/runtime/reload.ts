/**
 * @module runtime/reload
 * The reload pipeline (Traefik's configuration watcher): read → parse → validate → diff →
 * apply, the same for a file change, SIGHUP and POST /reload, one reload at a time.
 * - Invalid: nothing changes; the error is logged with file, line and key path and kept
 *   for /status (`config.last_error`).
 * - Unchanged (same text, or only comments/formatting): nothing happens.
 * - Applied: new listeners are bound first (a failed bind rejects the reload), then the
 *   new proxy state is built from the running one (kept servers keep their pools, flags,
 *   counters and fault-tolerance state), swapped in atomically, and the replaced upstream
 *   runtimes retire: they close the pools no longer used once their last in-flight request
 *   has finished. Settings that need a restart keep their running values and are reported.
 */
import { ConfigError, formatConfigIssue } from '../core/errors.js';
import type { BulwarkConfig } from '../core/config.js';
import { canonical, diffConfig, loadConfigFile } from '../config/index.js';
import type { UpstreamConfig } from '../core/config.js';

export type ReloadTrigger = 'startup' | 'file' | 'signal' | 'api';

export interface ReloadOutcome {
  readonly result: 'applied' | 'unchanged' | 'rejected';
  readonly trigger: ReloadTrigger;
  /** The running config version after this reload. */
  readonly version: number;
  readonly errors?: readonly string[];
  readonly changes?: readonly string[];
  readonly needs_restart?: readonly string[];
}

export interface LastError {
  readonly at: number;
  readonly trigger: ReloadTrigger;
  readonly errors: readonly string[];
}

/** What the running process has applied; shown in /status. */
export interface ConfigStatus {
  version: number;
  loadedAt: number;
  text: string;
  config: BulwarkConfig;
  lastError: LastError | undefined;
  needsRestart: readonly string[];
}

/** The apply step, implemented by the App. Throws to reject (nothing may have changed). */
export type Apply = (next: BulwarkConfig) => Promise<void>;

/** The fault-tolerance settings of an upstream: when equal, its checkers and breakers are kept. */
export function faultToleranceKey(u: UpstreamConfig): string {
  return canonical([u.health_check, u.outlier_detection, u.circuit_breaker, u.slow_start]);
}

/** `next` with the restart-only settings replaced by the running ones. */
function keepRestartSettings(next: BulwarkConfig, running: BulwarkConfig): BulwarkConfig {
  return { ...next, admin: running.admin, front: { ...next.front, max_header_size: running.front.max_header_size } };
}

export class Reloader {
  readonly #file: string;
  readonly #status: ConfigStatus;
  readonly #apply: Apply;
  readonly #now: () => number;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(file: string, status: ConfigStatus, apply: Apply, now: () => number) {
    this.#file = file;
    this.#status = status;
    this.#apply = apply;
    this.#now = now;
  }

  /** Runs one reload after any reload already under way. Never throws. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.#chain.then(() => this.#reload(trigger));
    this.#chain = run;
    return run;
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const st = this.#status;
    let loaded: { config: BulwarkConfig; text: string };
    try {
      // Off the proxy's thread: a big or broken file must not stall traffic (config/load).
      loaded = await loadConfigFile(this.#file, { offThread: true });
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map(formatConfigIssue) : [String((err as Error).message ?? err)];
      return this.#reject(trigger, errors);
    }
    // The file is valid again: an earlier rejection no longer describes it.
    if (loaded.text === st.text) {
      st.lastError = undefined;
      return { result: 'unchanged', trigger, version: st.version };
    }
    const diff = diffConfig(st.config, loaded.config);
    if (!diff.changed) {
      st.text = loaded.text;
      st.lastError = undefined;
      return { result: 'unchanged', trigger, version: st.version };
    }
    const next = keepRestartSettings(loaded.config, st.config);
    try {
      await this.#apply(next);
    } catch (err) {
      return this.#reject(trigger, [(err as Error).message ?? String(err)]);
    }
    st.version++;
    st.loadedAt = this.#now();
    st.text = loaded.text;
    st.config = next;
    st.lastError = undefined;
    st.needsRestart = diff.restartRequired;
    return { result: 'applied', trigger, version: st.version, changes: diff.summary, needs_restart: diff.restartRequired };
  }

  #reject(trigger: ReloadTrigger, errors: readonly string[]): ReloadOutcome {
    this.#status.lastError = { at: this.#now(), trigger, errors };
    return { result: 'rejected', trigger, version: this.#status.version, errors };
  }
}
