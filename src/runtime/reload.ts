/**
 * @module runtime/reload
 * The reload pipeline (Traefik's configuration watcher): read → parse → validate → plan
 * (config/diff) → apply (runtime/apply), the same for a file change, SIGHUP and POST
 * /reload, one reload at a time.
 * - Invalid: nothing changes; the error is logged with file, line and key path and kept
 *   for /status (`config.last_error`).
 * - Unchanged (same text, or only comments/formatting): nothing happens.
 * - Applied: new listeners are bound first (a failed bind rejects the reload), then the
 *   new proxy state is built from the running one (kept servers keep their pools, flags,
 *   counters and fault-tolerance state), swapped in atomically, and the replaced upstream
 *   runtimes retire: they close the pools no longer used once their last in-flight request
 *   has finished. Settings that need a restart keep their running values and are reported.
 */
import { ConfigError, formatConfigIssue, type ConfigIssue } from '../core/errors.js';
import type { BulwarkConfig } from '../core/config.js';
import { diffConfig, loadConfigFile, same, type ParseOptions, type ReloadPlan } from '../config/index.js';

/** `fleet`: a newer fleet config read from Redis (runtime/fleet/config). */
export type ReloadTrigger = 'startup' | 'file' | 'signal' | 'api' | 'fleet';

export interface ReloadOutcome {
  readonly result: 'applied' | 'unchanged' | 'rejected';
  readonly trigger: ReloadTrigger;
  /** The running config version after this reload. */
  readonly version: number;
  readonly errors?: readonly string[];
  readonly changes?: readonly string[];
  readonly needs_restart?: readonly string[];
  /** What the loaded config warns of (a certificate expiring within 14 days), one line each; it was loaded all the same. */
  readonly warnings?: readonly string[];
  /** A worker group (runtime/group/reloads): the workers that refused this config; they keep serving their previous one. */
  readonly workers_rejected?: readonly WorkerRejection[];
  /** A worker group: the workers that had not answered when the outcome was given (a refusal is still logged). */
  readonly workers_late?: readonly number[];
}

/** A worker of a group that refused a config its primary applied, and why. */
export interface WorkerRejection {
  readonly worker: number;
  readonly pid: number | null;
  readonly errors: readonly string[];
}

/** One line for a worker's refusal (the reload answer's details, the alert's reason). */
export const describeRejection = (r: WorkerRejection): string => `worker ${r.worker} (pid ${r.pid}): ${r.errors.join('; ')}`;

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

/**
 * Reads and validates the config (the file, by default). Throws to reject: a ConfigError's
 * issues are reported one per line.
 */
export type ConfigLoader = () => Promise<{ config: BulwarkConfig; text: string; warnings?: readonly ConfigIssue[] }>;

/** Reads the file off the proxy's thread: a big or broken file must not stall traffic (config/load). */
export const fileLoader =
  (file: string, opts: ParseOptions = {}): ConfigLoader =>
  () =>
    loadConfigFile(file, { ...opts, offThread: true });

/** The apply step (runtime/apply). Throws to reject, having changed nothing. */
export type Apply = (plan: ReloadPlan) => Promise<void>;

export class Reloader {
  readonly #load: ConfigLoader;
  readonly #status: ConfigStatus;
  readonly #apply: Apply;
  readonly #now: () => number;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(load: ConfigLoader, status: ConfigStatus, apply: Apply, now: () => number) {
    this.#load = load;
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
    let loaded: Awaited<ReturnType<ConfigLoader>>;
    try {
      loaded = await this.#load();
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map(formatConfigIssue) : [String((err as Error).message ?? err)];
      return this.#reject(trigger, errors);
    }
    // The file is valid again: an earlier rejection no longer describes it. The same text
    // may still read new certificate files (listen[].tls, upstreams.*.tls): those are a change.
    const warnings = loaded.warnings?.length ? { warnings: loaded.warnings.map(formatConfigIssue) } : {};
    if (loaded.text === st.text && same(loaded.config.listen, st.config.listen) && same(loaded.config.upstreams, st.config.upstreams)) {
      st.lastError = undefined;
      return { result: 'unchanged', trigger, version: st.version, ...warnings };
    }
    const plan = diffConfig(st.config, loaded.config);
    if (!plan.changed) {
      st.text = loaded.text;
      st.lastError = undefined;
      return { result: 'unchanged', trigger, version: st.version, ...warnings };
    }
    try {
      await this.#apply(plan);
    } catch (err) {
      return this.#reject(trigger, [(err as Error).message ?? String(err)]);
    }
    st.version++;
    st.loadedAt = this.#now();
    st.text = loaded.text;
    st.config = plan.config;
    st.lastError = undefined;
    st.needsRestart = plan.restartRequired;
    return { result: 'applied', trigger, version: st.version, changes: plan.summary, needs_restart: plan.restartRequired, ...warnings };
  }

  #reject(trigger: ReloadTrigger, errors: readonly string[]): ReloadOutcome {
    this.#status.lastError = { at: this.#now(), trigger, errors };
    return { result: 'rejected', trigger, version: this.#status.version, errors };
  }
}
