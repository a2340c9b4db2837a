/**
 * @module config/defaults
 * Every default and every limit of bulwark.yaml in one place, so the validator, the
 * shipped conf/bulwark.yaml and README.md can be checked against one source.
 * Durations are milliseconds and sizes bytes, as in BulwarkConfig.
 */
import type { ListenAddress, LogLevel, SchedulerName } from '../core/config.js';

export const DEFAULT_LISTEN: ListenAddress = { host: '0.0.0.0', port: 8080 };
export const DEFAULT_ADMIN_LISTEN: ListenAddress = { host: '127.0.0.1', port: 9901 };

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_ACCESS_LOG = true;

export const DEFAULT_FRONT_TIMEOUTS = {
  headers: 10_000,
  request: 60_000,
  keep_alive: 5_000,
  drain: 10_000,
} as const;
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;
/** The smallest max_header_size accepted: below this even ordinary requests get 431. */
export const MIN_HEADER_SIZE = 1024;

export const DEFAULT_SCHEDULER: SchedulerName = 'round-robin';
/** consistent-hash hashes the client address unless hash_key says otherwise. */
export const DEFAULT_HASH_KEY = { kind: 'ip' } as const;
export const DEFAULT_CONNECTIONS = 128;
export const CONNECTIONS_RANGE = { min: 1, max: 10_000 } as const;
export const DEFAULT_UPSTREAM_KEEP_ALIVE = 4_000;
export const DEFAULT_UPSTREAM_TIMEOUTS = {
  connect: 2_000,
  response: 30_000,
  idle: 60_000,
} as const;

export const DEFAULT_WEIGHT = 1;
export const WEIGHT_RANGE = { min: 1, max: 1000 } as const;
export const PORT_RANGE = { min: 0, max: 65_535 } as const;

/** Upstream and server names: safe in URLs, metrics labels and log lines. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** The name a server gets when the config gives none: "<upstream>-<index+1>". */
export function defaultServerName(upstream: string, index: number): string {
  return `${upstream}-${index + 1}`;
}
