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
/** Access-line formats: pino-shaped JSON, or nginx/Apache "combined" text (log/access-combined). */
export const ACCESS_FORMATS = ['json', 'combined'] as const;
export type AccessFormat = (typeof ACCESS_FORMATS)[number];

export interface LogConfig {
  readonly level: LogLevel;
  /** One access line per request. */
  readonly access: boolean;
  readonly access_format: AccessFormat;
  /** Absolute path of the access-log file; undefined: stdout, with the other log lines. */
  readonly access_file: string | undefined;
}

/** What /metrics shows (admin/metrics). */
export interface MetricsConfig {
  /** false: no series labelled by server (for very large upstreams); the per-upstream ones stay. */
  readonly per_server: boolean;
}

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
  /** Used only while no primary server of the upstream is available. Default false. */
  readonly backup: boolean;
}

/** Active health checks (HAProxy `check`, rise/fall). All durations in ms. */
export interface HealthCheckConfig {
  readonly type: 'http' | 'tcp';
  /** http only. Default "/". */
  readonly path: string;
  /** http only. Default "GET". */
  readonly method: string;
  /** http only: Host header to send; default the server's host:port. */
  readonly host: string | undefined;
  /** http only: inclusive status range that counts as healthy. Default 200-399. */
  readonly expect_status: { readonly min: number; readonly max: number };
  /** http only: substring the body must contain (first 64 KiB are read). */
  readonly expect_body: string | undefined;
  readonly interval: number;
  readonly timeout: number;
  readonly rise: number;
  readonly fall: number;
  /** Fraction 0..1 of the interval added or removed at random, so checks don't align. */
  readonly jitter: number;
  /** Interval used while a server is between states (some failures/successes counted). */
  readonly fast_interval: number;
}

/** Passive outlier detection (Envoy). Durations in ms, fractions 0..1. */
export interface OutlierConfig {
  readonly consecutive_5xx: number;
  readonly consecutive_gateway_failures: number;
  readonly base_ejection_time: number;
  readonly max_ejection_time: number;
  /** Fraction 0..1 of the upstream's servers that may be ejected at once (at least one always may). */
  readonly max_ejection_percent: number;
  /** Fraction 0..1 of the ejection time added at random. */
  readonly jitter: number;
}

/** Circuit breakers: Envoy-style concurrency limits plus a Hystrix-style error-rate breaker. */
export interface BreakerConfig {
  /** Most in-flight requests per server. */
  readonly max_concurrent: number;
  /** Most requests waiting (per upstream) when every server is at max_concurrent. */
  readonly max_pending: number;
  /** How long a request may wait in that queue, ms. */
  readonly pending_timeout: number;
  /** Fraction 0..1 of failed requests in `window` that opens the breaker. */
  readonly error_rate: number;
  readonly min_requests: number;
  readonly window: number;
  readonly open_for: number;
  readonly half_open_probes: number;
}

export const RETRY_CONDITIONS = ['connect-failure', 'reset', 'timeout', '502', '503', '504'] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

export interface RetryConfig {
  /** Retries after the first attempt (0 disables). */
  readonly attempts: number;
  readonly on: readonly RetryCondition[];
  /** Fraction 0..1: retries over a rolling 10 s may be at most this share of requests (plus 3/s). */
  readonly budget: number;
  /** Response-header timeout of each attempt, ms. */
  readonly per_try_timeout: number;
  /** Request bodies up to this many bytes are buffered so they can be replayed. */
  readonly buffer_body: number;
}

export const STICKY_MODES = ['cookie', 'learn', 'header', 'ip'] as const;
export type StickyMode = (typeof STICKY_MODES)[number];

/** Session affinity (HAProxy stick tables): a key from each request pins it to one server. */
export interface StickyConfig {
  /**
   * Where the key comes from: a cookie bulwark inserts (`cookie`), the application's own
   * session cookie, learnt from its Set-Cookie (`learn`), a request header, or the client IP.
   */
  readonly mode: StickyMode;
  /** cookie: the cookie inserted; learn: the app's cookie; header: the header (lower-cased); ip: undefined. */
  readonly name: string | undefined;
  /** How long an unused pin is kept, ms (each use restarts it). */
  readonly ttl: number;
  /** Most pins kept per upstream; the least recently used goes first. */
  readonly max_entries: number;
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
  /** A SchedulerName, or the name of a scheduler an embedder registered (src/index.ts). */
  readonly scheduler: SchedulerName | (string & {});
  /** Present when scheduler is consistent-hash. */
  readonly hash_key: HashKey | undefined;
  /** Most connections in each server's pool. */
  readonly connections: number;
  /** How long an idle upstream keep-alive connection is kept, ms. */
  readonly keep_alive: number;
  readonly timeouts: UpstreamTimeouts;
  readonly servers: readonly ServerConfig[];
  /** Absent: no active checks. */
  readonly health_check: HealthCheckConfig | undefined;
  /** Absent: no passive ejection. */
  readonly outlier_detection: OutlierConfig | undefined;
  /** Absent: no concurrency limit and no error-rate breaker. */
  readonly circuit_breaker: BreakerConfig | undefined;
  /** Absent: no retries. */
  readonly retries: RetryConfig | undefined;
  /** Ramp-up time for a server that becomes available again, ms; 0 = off. */
  readonly slow_start: number;
  /** Absent: no session affinity. */
  readonly sticky: StickyConfig | undefined;
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
    /** How long a client may accept no response data while a response waits for it, ms. */
    readonly send: number;
  };
  /** Bytes; a larger request head gets 431. */
  readonly max_header_size: number;
  /** Most header lines in a request; more gets 431. */
  readonly max_headers: number;
  /** Whether request header names with "_" are forwarded (nginx's underscores_in_headers). */
  readonly underscores_in_headers: boolean;
  /** Bytes; a larger request body gets 413. */
  readonly max_body_size: number;
  /** Whether request bodies are read whole (memory, then a temp file) before forwarding. */
  readonly buffer_requests: boolean;
  /** Bytes of a request body kept in memory before its temp file. */
  readonly request_buffer_size: number;
  /** Whether a response is buffered (memory, then a temp file) once its client falls behind. */
  readonly buffer_responses: boolean;
  /** Bytes of memory per response for a client that fell behind, before the temp file. */
  readonly response_buffer_size: number;
  /** Bytes; the most one response may put in its temp file (0: no temp file). */
  readonly max_temp_file_size: number;
  /** Where response temp files go (unlinked at once: nothing stays behind). */
  readonly temp_path: string;
  /** Whether a client's half-close (FIN) cancels its request, as HAProxy's option abortonclose. */
  readonly abort_on_close: boolean;
}

/** The backup sidecar: periodic snapshots of runtime state. Durations in ms. */
export interface BackupConfig {
  /** Absolute; a relative `dir` in the file is resolved against the config file's folder. */
  readonly dir: string;
  /** Time between snapshots. */
  readonly interval: number;
  /** Snapshots always kept: the newest this many. */
  readonly keep_last: number;
  /** Snapshots younger than this are kept too, however many there are. */
  readonly keep_within: number;
  /** Name of the environment variable holding the encryption key; undefined: not encrypted. */
  readonly encrypt_key_env: string | undefined;
  /** Also take a snapshot after each successful reload. */
  readonly on_reload: boolean;
  /** The agent's CPU class: `low` (nice 10, the default) or `idle` (SCHED_IDLE, nice 19). */
  readonly cpu_class: BackupCpuClass;
  /** Ms one admin API request of a run may go without progress; also the stall grace. */
  readonly timeout: number;
}

export type BackupCpuClass = 'idle' | 'low';

/** What can be alerted on: server availability and flags, reloads, and the backup sidecar. */
export const ALERT_EVENTS = ['server_down', 'server_up', 'ejected', 'circuit_open', 'reload_failed', 'backup_failed', 'backup_stalled'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/** How each webhook delivers (runtime/alerts/webhook): one POST at a time from a bounded queue. */
export interface AlertDelivery {
  /** Events waiting per webhook; a new one beyond is dropped (and counted). */
  readonly queue: number;
  /** Ms one POST may take before it counts as failed. */
  readonly timeout: number;
  /** Tries after the first before an event is dropped. */
  readonly retries: number;
  /** Ms before the first retry; each next wait doubles, up to max_backoff. */
  readonly backoff: number;
  readonly max_backoff: number;
}

/** Webhooks each selected event is POSTed to as JSON (runtime/alerts). */
export interface AlertsConfig extends AlertDelivery {
  /** http(s) URLs, each with its own bounded queue. */
  readonly webhooks: readonly string[];
  /** The events sent; all of ALERT_EVENTS by default. */
  readonly on: readonly AlertEvent[];
}

export interface BulwarkConfig {
  readonly listen: readonly ListenAddress[];
  /** Processes serving traffic (`workers: auto | N`, `auto` resolved to the core count); 1: one process, no cluster. */
  readonly workers: number;
  readonly admin: {
    readonly listen: ListenAddress;
    /** Name of the environment variable holding the admin API token; required off loopback. */
    readonly token_env: string | undefined;
  };
  readonly log: LogConfig;
  readonly metrics: MetricsConfig;
  readonly front: FrontConfig;
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
  readonly routes: readonly RouteConfig[];
  /** Absent: no backup sidecar. */
  readonly backup: BackupConfig | undefined;
  /** Absent: no alerts are sent. */
  readonly alerts: AlertsConfig | undefined;
}
