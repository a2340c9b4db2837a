/**
 * @module core/config
 * The validated, normalised configuration that every subsystem consumes. config/ produces
 * it from YAML (durations in milliseconds, sizes in bytes, defaults filled in); nothing
 * else parses config. Keys keep the YAML spelling so error paths and code agree. An
 * upstream's blocks are in config-upstream.ts, re-exported here.
 */
import type { FleetConfig } from './config-fleet.js';
import type { RateLimitConfig } from './config-rate.js';
import type { RouteHeaders, SplitSticky, SplitTarget } from './config-route.js';
import type { UpstreamConfig } from './config-upstream.js';

export * from './config-upstream.js';
export * from './config-route.js';
export * from './config-rate.js';

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

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** A certificate chain and its private key, read and checked at load (config/validate-tls). */
export interface TlsCertificate {
  /** Absolute paths; a relative one in the file is resolved against the config file's folder. */
  readonly cert: string;
  readonly key: string;
  /** The PEM text read at load: a reload that reads other text swaps it in for new handshakes. */
  readonly cert_pem: string;
  readonly key_pem: string;
}

export interface SniCertificate extends TlsCertificate {
  /** Lower-case server names: exact ("api.example.com") or a leading wildcard label ("*.example.com"). */
  readonly names: readonly string[];
}

/** TLS termination on a listener; `cert`/`key` serve every name no `sni` entry claims. */
export interface ListenerTls extends TlsCertificate {
  readonly sni: readonly SniCertificate[];
  readonly min_version: TlsVersion;
  /** An OpenSSL cipher list; undefined: Node's default. */
  readonly ciphers: string | undefined;
}

/** Strict-Transport-Security (RFC 6797), sent on a TLS listener's responses only. */
export interface HstsConfig {
  /** Seconds. */
  readonly max_age: number;
  readonly include_subdomains: boolean;
  readonly preload: boolean;
}

/** One client-facing listener (`listen:` entry), plain or TLS. */
export interface Listener {
  readonly address: ListenAddress;
  /** Absent: plain HTTP. */
  readonly tls: ListenerTls | undefined;
  /** HTTP/2 to clients (ALPN h2 with tls; h2c without). Default: true with tls, else false. */
  readonly http2: boolean;
  /** A plain listener that answers every request with a 308 to https on this port. */
  readonly redirect_https: number | undefined;
  /** Only with tls. */
  readonly hsts: HstsConfig | undefined;
  /** Every connection must come from trusted_proxies and start with a PROXY protocol header (proxy/proxy-accept). Absent: false. */
  readonly proxy_protocol?: boolean;
}

export interface RouteConfig {
  /** Exact host ("api.example.com") or wildcard ("*.example.com"), lower-case, no port. */
  readonly host: string | undefined;
  readonly path_prefix: string | undefined;
  /** Where matching requests go; undefined when `split` chooses per request. */
  readonly upstream: string | undefined;
  /** A weighted split across upstreams instead of `upstream` (core/config-route). */
  readonly split: readonly SplitTarget[] | undefined;
  /** Only with split: keeps a client on its side. */
  readonly split_sticky: SplitSticky | undefined;
  /** Taken off the front of the normalised path at a segment boundary ("/api": /api/users → /users). */
  readonly strip_prefix: string | undefined;
  /** Put in front of the path after strip_prefix ("/v2": /users → /v2/users). */
  readonly add_prefix: string | undefined;
  /** Fields set and removed on the request and the response (core/config-route). */
  readonly headers: RouteHeaders | undefined;
  /** Bytes; the smaller of this and front.max_body_size applies. Undefined: front's alone. */
  readonly max_body_size: number | undefined;
  /** A token bucket per client (core/config-rate); absent: not limited. */
  readonly rate_limit?: RateLimitConfig | undefined;
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
  /** HTTP/2 (listeners with `http2`): streams open at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly h2_max_concurrent_streams: number;
  /** HTTP/2: bytes of a request's header list (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113 §6.5.2). */
  readonly h2_max_header_list_size: number;
  /** HTTP/2: streams a client may reset per connection per second before it is closed (CVE-2023-44487). */
  readonly h2_max_resets_per_second: number;
  /** HTTP/2: PING and SETTINGS frames a client may send per connection per second before it is closed. */
  readonly h2_max_control_frames_per_second: number;
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
  readonly listen: readonly Listener[];
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
  /** Peers whose X-Forwarded-For is believed and that may send PROXY headers: addresses and CIDR ranges ("10.0.0.0/8"). */
  readonly trusted_proxies: readonly string[];
  /** Absent: no backup sidecar. */
  readonly backup: BackupConfig | undefined;
  /** Absent: no alerts are sent. */
  readonly alerts: AlertsConfig | undefined;
  /** Absent: the node is alone and Redis is never touched. */
  readonly fleet: FleetConfig | undefined;
}
