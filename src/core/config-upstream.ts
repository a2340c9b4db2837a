/**
 * @module core/config-upstream
 * The validated configuration of one upstream (core/config.ts re-exports it): its servers,
 * scheduler, timeouts, and the health, outlier, breaker, retry and sticky blocks. Durations
 * in ms, keys in the YAML spelling, as core/config.ts says.
 */

export const SCHEDULER_NAMES = ['round-robin', 'random', 'weighted', 'least-connections', 'p2c', 'consistent-hash'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

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

/**
 * How bulwark connects to the upstream's https:// servers (http:// servers of the same
 * upstream ignore it). Paths are resolved against the config file; the PEM texts are read
 * at load, so a reload that reads changed files is a changed config (new pools).
 */
export interface UpstreamTls {
  /** CA bundle the servers' certificates must chain to; undefined: Node's bundled roots. */
  readonly ca: string | undefined;
  readonly ca_pem: string | undefined;
  /** Client certificate and key for mutual TLS: both or neither. */
  readonly cert: string | undefined;
  readonly cert_pem: string | undefined;
  readonly key: string | undefined;
  readonly key_pem: string | undefined;
  /**
   * Sent as SNI and matched against the server's certificate. Undefined: each server's
   * host when it is a name; none for an IP literal (RFC 6066 §3), which the certificate
   * must then list as an IP address.
   */
  readonly servername: string | undefined;
  /** False accepts any certificate (warned at load). Default true. */
  readonly verify: boolean;
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
  /** Absent: https:// servers are verified against Node's bundled roots, by their host name. */
  readonly tls: UpstreamTls | undefined;
  /** A PROXY protocol header first on each upstream connection, private to one client connection (proxy/upstream-private). Absent: none. */
  readonly proxy_protocol?: 'v1' | 'v2';
}
