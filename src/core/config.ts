/**
 * @module core/config
 * The validated, normalised configuration that every subsystem consumes. config/ produces
 * it from YAML (durations in milliseconds, sizes in bytes, defaults filled in); nothing
 * else parses config. Keys keep the YAML spelling so error paths and code agree.
 */

export const SCHEDULER_NAMES = ['round-robin', 'random', 'weighted', 'least-connections', 'p2c', 'consistent-hash'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Where consistent-hash takes its key from. */
export type HashKey =
  | { readonly kind: 'ip' }
  | { readonly kind: 'path' }
  | { readonly kind: 'header'; readonly name: string } // lower-cased
  | { readonly kind: 'cookie'; readonly name: string };

export interface ServerConfig {
  readonly name: string;
  /** Origin only, normalised: "http://127.0.0.1:3001". */
  readonly url: string;
  readonly weight: number;
}

export interface UpstreamTimeouts {
  /** TCP connect timeout, ms. */
  readonly connect: number;
  /** Time to the response headers, ms (504 when exceeded). */
  readonly response: number;
  /** Longest silence while streaming the response body, ms. */
  readonly idle: number;
}

export interface UpstreamConfig {
  readonly name: string;
  readonly scheduler: SchedulerName;
  /** Present when scheduler is consistent-hash. */
  readonly hash_key: HashKey | undefined;
  /** Most connections in each server's pool. */
  readonly connections: number;
  /** How long an idle upstream keep-alive connection is kept, ms. */
  readonly keep_alive: number;
  readonly timeouts: UpstreamTimeouts;
  readonly servers: readonly ServerConfig[];
}

export interface RouteConfig {
  /** Exact host ("api.example.com") or wildcard ("*.example.com"), lower-case, no port. */
  readonly host: string | undefined;
  readonly path_prefix: string | undefined;
  readonly upstream: string;
}

export interface FrontConfig {
  readonly timeouts: {
    /** Time for a client to send the complete request head, ms. */
    readonly headers: number;
    /** Time for a client to send the complete request (head and body), ms. */
    readonly request: number;
    /** Idle keep-alive connection lifetime, ms. */
    readonly keep_alive: number;
    /** Graceful-shutdown budget for in-flight requests, ms. */
    readonly drain: number;
  };
  /** Bytes; a larger request head gets 431. */
  readonly max_header_size: number;
  /** Bytes; a larger request body gets 413. */
  readonly max_body_size: number;
}

export interface BulwarkConfig {
  readonly listen: readonly ListenAddress[];
  readonly admin: { readonly listen: ListenAddress };
  readonly log: { readonly level: LogLevel; readonly access: boolean };
  readonly front: FrontConfig;
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
  readonly routes: readonly RouteConfig[];
}
