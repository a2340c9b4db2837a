/**
 * @module runtime/embed
 * bulwark inside another Node program (the public API, src/index.ts): start from a
 * config file or a config object, reload, stop. A config object goes through exactly the
 * validation a file does (JSON is YAML), so its errors name the same key paths and
 * rules; it is not watched: `reload(next)` applies a new one.
 */
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { BulwarkConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { SchedulerFactory } from '../balancer/index.js';
import { loadConfigFile, parseConfig, type ParseOptions } from '../config/index.js';
import { App, parseOptions, type AppOptions } from './app.js';
import type { ReloadOutcome } from './reload.js';

/** A config with the same shape as bulwark.yaml (durations as "5s", sizes as "1MiB"...). */
export type ConfigObject = Readonly<Record<string, unknown>>;

export interface StartOptions {
  /** A config file path (read, validated, and watched unless `watch` is false), or a config object. */
  readonly config: string | ConfigObject;
  /** Schedulers of your own, by the name an upstream selects them with (`scheduler: NAME`). */
  readonly schedulers?: Readonly<Record<string, SchedulerFactory>>;
  /** Reload when the config file changes (default true; config objects are never watched). */
  readonly watch?: boolean;
  /** Where the JSON log lines go (default stdout). */
  readonly logDestination?: pino.DestinationStream;
  /** Where `*_env` settings are looked up (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** The process and Node.js metrics on the admin listener's /metrics (default true; see AppOptions). */
  readonly processMetrics?: boolean;
}

/** A running bulwark. */
export interface Bulwark {
  /** The bound proxy addresses, in config order. */
  readonly addresses: readonly AddressInfo[];
  /** The bound admin API address. */
  readonly adminAddress: AddressInfo;
  /**
   * Applies a changed config: re-reads the file, or takes `next` (a config object). An
   * invalid config changes nothing (`result: 'rejected'`, with the errors). Never throws.
   */
  reload(next?: ConfigObject): Promise<ReloadOutcome>;
  /** Drains in-flight requests (at most `drainMs`, default front.timeouts.drain) and closes everything. */
  stop(drainMs?: number): Promise<boolean>;
}

/** The name a config object's errors carry in place of a file name. */
export const OBJECT_SOURCE = '<config object>';

/** Starts bulwark. Throws a ConfigError listing every problem when the config is invalid. */
export async function start(opts: StartOptions): Promise<Bulwark> {
  const schedulers = new Map(Object.entries(opts.schedulers ?? {}));
  const base = { schedulers, logDestination: opts.logDestination, env: opts.env, processMetrics: opts.processMetrics };
  let app: App;
  let current = typeof opts.config === 'string' ? undefined : opts.config;
  if (current === undefined) {
    app = await App.start({ ...base, configFile: opts.config as string, watch: opts.watch });
  } else {
    const appOpts: AppOptions = { ...base, configFile: OBJECT_SOURCE, watch: false, load: async () => parsed(current!, parseOptions(appOpts)) };
    app = await App.start(appOpts);
  }
  return {
    get addresses() {
      return app.addresses;
    },
    get adminAddress() {
      return app.adminAddress!;
    },
    reload: (next) => {
      if (next !== undefined) {
        if (current === undefined) return Promise.resolve(rejected('a config object was given, but this bulwark runs from a config file', app.status.version));
        current = next;
      }
      return app.reload('api');
    },
    stop: (drainMs) => app.stop(drainMs),
  };
}

/**
 * The errors of a config file or object, as `file:line:col: key.path: rule` lines; [] when
 * it is valid. Never throws. Pass the `schedulers` you will start with, if any.
 */
export async function validate(config: string | ConfigObject, opts: Pick<StartOptions, 'schedulers'> = {}): Promise<string[]> {
  const parse = { schedulers: Object.keys(opts.schedulers ?? {}) };
  try {
    if (typeof config === 'string') await loadConfigFile(config, parse);
    else parsed(config, parse);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').slice(1);
    return [String((err as Error).message ?? err)];
  }
}

function parsed(config: ConfigObject, opts: ParseOptions): { config: BulwarkConfig; text: string } {
  // Indented, so an error's line number points at a line a person can find.
  const text = JSON.stringify(config, null, 2);
  const { config: valid, issues } = parseConfig(text, OBJECT_SOURCE, opts);
  if (valid === undefined) throw new ConfigError(issues);
  return { config: valid, text };
}

function rejected(error: string, version: number): ReloadOutcome {
  return { result: 'rejected', trigger: 'api', version, errors: [error] };
}
