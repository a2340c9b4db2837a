/**
 * @module config/defaults
 * Every default and every limit of bulwark.yaml in one place, so the validator, the
 * shipped conf/bulwark.yaml and README.md can be checked against one source.
 * Durations are milliseconds, sizes bytes and percentages fractions (0.1 for 10%), as in
 * BulwarkConfig; the *_PERCENT ranges are in percent, as they are written.
 */
import { ALERT_EVENTS } from '../core/config.js';
import type { AccessFormat, AlertDelivery, BackupConfig, BreakerConfig, HealthCheckConfig, HstsConfig, ListenAddress, LogLevel, OutlierConfig, RetryConfig, SchedulerName, StickyConfig, TlsVersion } from '../core/config.js';

export const DEFAULT_LISTEN: ListenAddress = { host: '0.0.0.0', port: 8080 };
export const DEFAULT_ADMIN_LISTEN: ListenAddress = { host: '127.0.0.1', port: 9901 };

/** A listener's tls.min_version: TLS 1.0 and 1.1 are deprecated (RFC 8996). */
export const DEFAULT_TLS_MIN_VERSION: TlsVersion = 'TLSv1.2';
/** `hsts: true` or `hsts: {}`: one year (what the browsers' preload list asks for), this host only. */
export const DEFAULT_HSTS: HstsConfig = { max_age: 365 * 86_400, include_subdomains: false, preload: false };
/** A certificate that expires sooner than this gives a warning at load. */
export const CERT_EXPIRY_WARNING_MS = 14 * 86_400_000;
/** The largest certificate or key file read (a path to a log or a device must not stall a load). */
export const MAX_CERT_FILE_BYTES = 1024 * 1024;

/** One process: no cluster, no IPC (runtime/group runs N > 1). */
export const DEFAULT_WORKERS = 1;
/** More workers than this is a typo, not a machine: each holds its own pools and tables. */
export const WORKERS_RANGE = { min: 1, max: 1024 } as const;

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_ACCESS_LOG = true;
/** JSON, in pino's line shape: what log/ wrote before access_format existed. */
export const DEFAULT_ACCESS_FORMAT: AccessFormat = 'json';

/** metrics.per_server: every server's series on /metrics. */
export const DEFAULT_METRICS_PER_SERVER = true;

export const DEFAULT_FRONT_TIMEOUTS = {
  headers: 10_000,
  request: 60_000,
  keep_alive: 5_000,
  drain: 10_000,
  /** nginx's send_timeout. */
  send: 60_000,
} as const;
/** HAProxy's tune.http.maxhdr is 101; nginx has no count limit, only sizes. */
export const DEFAULT_MAX_HEADERS = 100;
export const MAX_HEADERS_RANGE = { min: 1, max: 10_000 } as const;
export const DEFAULT_UNDERSCORES_IN_HEADERS = false;
export const DEFAULT_BUFFER_RESPONSES = true;
/** nginx's proxy_request_buffering on. */
export const DEFAULT_BUFFER_REQUESTS = true;
/** Memory per request body before its temp file (nginx's client_body_buffer_size is 8-16k). */
export const DEFAULT_REQUEST_BUFFER_SIZE = 64 * 1024;
/** Memory per response for a client that fell behind, before the temp file (nginx: 8 × 8k). */
export const DEFAULT_RESPONSE_BUFFER_SIZE = 64 * 1024;
/** Temp file per response (nginx's proxy_max_temp_file_size default). */
export const DEFAULT_MAX_TEMP_FILE_SIZE = 1024 * 1024 * 1024;
/** HAProxy's default: a half-closed client is still answered (no option abortonclose). */
export const DEFAULT_ABORT_ON_CLOSE = false;
/** HTTP/2 limits (front.h2_*): RFC 9113 §6.5.2 recommends at least 100 streams. */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 100;
export const DEFAULT_H2_MAX_HEADER_LIST_SIZE = 32 * 1024;
export const DEFAULT_H2_MAX_RESETS_PER_SECOND = 100;
export const DEFAULT_H2_MAX_CONTROL_FRAMES_PER_SECOND = 100;
/** Node's own bounds for SETTINGS_MAX_CONCURRENT_STREAMS (2^32-1) would allow any client anything. */
export const H2_STREAMS_RANGE = { min: 1, max: 10_000 } as const;
export const H2_RATE_RANGE = { min: 1, max: 1_000_000 } as const;
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

/** An upstream's tls.verify: server certificates are checked unless turned off (warned). */
export const DEFAULT_UPSTREAM_TLS_VERIFY = true;

/** slow_start: 0 is off (the one duration that may be 0). */
export const DEFAULT_SLOW_START = 0;

export const HEALTH_CHECK_TYPES = ['http', 'tcp'] as const;
export const HEALTH_CHECK_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;
/** What a `health_check:` block gets for every key it leaves out. */
export const DEFAULT_HEALTH_CHECK: HealthCheckConfig = {
  type: 'http',
  path: '/',
  method: 'GET',
  host: undefined,
  expect_status: { min: 200, max: 399 },
  expect_body: undefined,
  interval: 2_000,
  timeout: 1_000,
  rise: 2,
  fall: 3,
  jitter: 0.1,
  fast_interval: 500,
};
export const RISE_FALL_RANGE = { min: 1, max: 100 } as const;
export const STATUS_CODE_RANGE = { min: 100, max: 599 } as const;
export const CHECK_JITTER_PERCENT = { min: 0, max: 50 } as const;

export const DEFAULT_OUTLIER_DETECTION: OutlierConfig = {
  consecutive_5xx: 5,
  consecutive_gateway_failures: 3,
  base_ejection_time: 30_000,
  max_ejection_time: 300_000,
  max_ejection_percent: 0.5,
  jitter: 0.1,
};
export const CONSECUTIVE_RANGE = { min: 1, max: 1000 } as const;
export const EJECTION_PERCENT = { min: 0, max: 100 } as const;

export const DEFAULT_CIRCUIT_BREAKER: BreakerConfig = {
  max_concurrent: 1000,
  max_pending: 100,
  pending_timeout: 1_000,
  error_rate: 0.5,
  min_requests: 20,
  window: 10_000,
  open_for: 30_000,
  half_open_probes: 3,
};
export const MAX_CONCURRENT_RANGE = { min: 1, max: 1_000_000 } as const;
/** 0 means no queue: a request over max_concurrent is rejected at once. */
export const MAX_PENDING_RANGE = { min: 0, max: 1_000_000 } as const;
export const MIN_REQUESTS_RANGE = { min: 1, max: 1_000_000 } as const;
export const HALF_OPEN_PROBES_RANGE = { min: 1, max: 1000 } as const;
export const ERROR_RATE_PERCENT = { min: 1, max: 100 } as const;

/** Everything a `retries:` block defaults to but per_try_timeout, which is the upstream's timeouts.response. */
export const DEFAULT_RETRIES: Omit<RetryConfig, 'per_try_timeout'> = {
  attempts: 2,
  on: ['connect-failure', 'reset', '502', '503', '504'],
  budget: 0.2,
  buffer_body: 64 * 1024,
};
export const ATTEMPTS_RANGE = { min: 0, max: 10 } as const;
export const RETRY_BUDGET_PERCENT = { min: 1, max: 100 } as const;

/** What a `sticky:` block gets for every key it leaves out (name: the cookie mode's default). */
export const DEFAULT_STICKY: StickyConfig = {
  mode: 'cookie',
  name: 'bulwark_sid',
  ttl: 30 * 60_000,
  max_entries: 100_000,
};
/** Each slot costs about 33 bytes up front (lru-cache preallocates), so 10M reserves ~330 MB. */
export const MAX_ENTRIES_RANGE = { min: 1, max: 10_000_000 } as const;

/** What a `backup:` block gets for every key it leaves out; `dir` has no default. */
export const DEFAULT_BACKUP_SETTINGS: Omit<BackupConfig, 'dir'> = {
  interval: 5 * 60_000,
  keep_last: 48,
  keep_within: 7 * 86_400_000,
  encrypt_key_env: undefined,
  on_reload: true,
  // Not `idle`: SCHED_IDLE starves the agent on a busy host (any normal task runs first).
  cpu_class: 'low',
  timeout: 60_000,
};
export const BACKUP_CPU_CLASSES = ['idle', 'low'] as const;
export const KEEP_LAST_RANGE = { min: 1, max: 100_000 } as const;
/** keep_within is a retention age, not a timer, so it may pass the 596h timer limit: up to 3650d. */
export const MAX_KEEP_WITHIN_DAYS = 3650;

/** alerts.on: every event unless the list says otherwise. */
export const DEFAULT_ALERT_EVENTS = ALERT_EVENTS;
/**
 * Delivery per webhook: up to 1000 events waiting (beyond that dropped and counted, so memory
 * stays bounded), 5s per POST, then retries after 1s, 2s, 4s… capped at 60s; after 7 retries
 * (8 tries) the event is dropped.
 */
export const DEFAULT_ALERT_DELIVERY: AlertDelivery = { queue: 1000, timeout: 5_000, retries: 7, backoff: 1_000, max_backoff: 60_000 };
export const ALERT_QUEUE_RANGE = { min: 1, max: 100_000 } as const;
export const ALERT_RETRIES_RANGE = { min: 0, max: 100 } as const;

export const DEFAULT_WEIGHT = 1;
export const WEIGHT_RANGE = { min: 1, max: 1000 } as const;
export const PORT_RANGE = { min: 0, max: 65_535 } as const;
export const DEFAULT_BACKUP = false;

/** Upstream and server names: safe in URLs, metrics labels and log lines. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** The name a server gets when the config gives none: "<upstream>-<index+1>". */
export function defaultServerName(upstream: string, index: number): string {
  return `${upstream}-${index + 1}`;
}

/** fleet.prefix: the namespace of bulwark's Redis keys when the file names none. */
export const DEFAULT_FLEET_PREFIX = 'bulwark:';
/** fleet.timeout: the longest a request waits on Redis. */
export const DEFAULT_FLEET_TIMEOUT_MS = 5;
