/**
 * @module core/errors
 * Every error bulwark raises on purpose has a stable `code` (safe to match on and to
 * alert on) and, where it ends a client request, the HTTP status it maps to.
 * `upstreamStatus` is the single place that decides 502 vs 503 vs 504.
 */
import { classifyError, type AttemptResult } from './outcome.js';

export const ErrorCodes = {
  CONFIG_INVALID: 'BLWK_CONFIG_INVALID',
  CONFIG_READ: 'BLWK_CONFIG_READ',
  NO_ROUTE: 'BLWK_NO_ROUTE',
  NO_SERVER: 'BLWK_NO_SERVER',
  BAD_REQUEST: 'BLWK_BAD_REQUEST',
  BODY_TOO_LARGE: 'BLWK_BODY_TOO_LARGE',
  UPSTREAM_CONNECT: 'BLWK_UPSTREAM_CONNECT',
  UPSTREAM_RESET: 'BLWK_UPSTREAM_RESET',
  UPSTREAM_BAD_RESPONSE: 'BLWK_UPSTREAM_BAD_RESPONSE',
  UPSTREAM_TIMEOUT: 'BLWK_UPSTREAM_TIMEOUT',
  CLIENT_ABORTED: 'BLWK_CLIENT_ABORTED',
  /** The client accepted no response data for front.timeouts.send. */
  CLIENT_TIMEOUT: 'BLWK_CLIENT_TIMEOUT',
  /** A temp file buffering a request or response body failed (disk full, ...). */
  BUFFER_IO: 'BLWK_BUFFER_IO',
  LISTEN: 'BLWK_LISTEN',
  /** A backup snapshot failed verification (damaged, wrong or missing key, unknown format). */
  BACKUP_INVALID: 'BLWK_BACKUP_INVALID',
  /** The backup directory could not be written or read (permissions, disk full, ...). */
  BACKUP_IO: 'BLWK_BACKUP_IO',
  /** Another process holds the backup directory's lock. */
  BACKUP_LOCKED: 'BLWK_BACKUP_LOCKED',
  /** The caller passed data that cannot be backed up (empty config, malformed session). */
  BACKUP_INPUT: 'BLWK_BACKUP_INPUT',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const kBrand = Symbol.for('bulwark.error');

export class BulwarkError extends Error {
  readonly code: ErrorCode;
  /** HTTP status for the client when this error ends a proxied request. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BulwarkError';
    this.code = code;
    this.status = status;
    (this as unknown as Record<symbol, boolean>)[kBrand] = true;
  }

  // Brand check so instanceof holds across duplicate copies of the package (as undici does).
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }
}

/** One broken rule in one config file. */
export interface ConfigIssue {
  readonly file: string;
  /** 1-based; 0 when the problem has no position (e.g. a missing file). */
  readonly line: number;
  readonly column: number;
  /** Dotted key path, e.g. "upstreams.web.servers[0].url"; "" for the document root. */
  readonly path: string;
  /** The rule that was broken, e.g. "must be a duration like 500ms, 2s or 1m". */
  readonly rule: string;
}

export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return i.path ? `${where}: ${i.path}: ${i.rule}` : `${where}: ${i.rule}`;
}

export class ConfigError extends BulwarkError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const head = issues.length === 1 ? '1 config error' : `${issues.length} config errors`;
    super(ErrorCodes.CONFIG_INVALID, `${head}:\n${issues.map(formatConfigIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Upstream failures whose cause is "nobody answered properly": 502 Bad Gateway. */
const BAD_GATEWAY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_STATUS',
  'HPE_INVALID_HEADER_TOKEN',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_INVALID_CONTENT_LENGTH',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_INFO',
  'UND_ERR_HEADERS_OVERFLOW',
]);

/** Upstream failures whose cause is "too slow": 504 Gateway Timeout. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Maps any failure while forwarding to the client-facing status:
 * connect refused / reset / invalid response → 502, no server available → 503,
 * upstream timeout → 504. Errors we raised ourselves carry their own status.
 */
export function upstreamStatus(err: unknown): number {
  if (err instanceof BulwarkError) return err.status;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return 504;
    if (BAD_GATEWAY_CODES.has(code) || code.startsWith('HPE_')) return 502;
  }
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && cause !== err) return upstreamStatus(cause);
  return 502;
}

/** The stable code of each kind of upstream failure (outcome.ts's AttemptResult). */
const RESULT_CODES: Readonly<Record<AttemptResult, ErrorCode>> = {
  response: ErrorCodes.UPSTREAM_BAD_RESPONSE,
  connect_failure: ErrorCodes.UPSTREAM_CONNECT,
  reset: ErrorCodes.UPSTREAM_RESET,
  timeout: ErrorCodes.UPSTREAM_TIMEOUT,
  bad_response: ErrorCodes.UPSTREAM_BAD_RESPONSE,
  cancelled: ErrorCodes.CLIENT_ABORTED,
};

/**
 * The BLWK_ code for a failure while forwarding (the access log's `error`): errors bulwark
 * raised keep theirs, undici and system errors map by their kind.
 * @param result the error's classification, when the caller already has it.
 */
export function upstreamErrorCode(err: unknown, result: AttemptResult = classifyError(err).result): ErrorCode {
  if (err instanceof BulwarkError) return err.code;
  return RESULT_CODES[result];
}

/** A short, stable description of an upstream failure for logs and event reasons. */
export function describeUpstreamError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'ERROR';
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return `${code}: ${msg}`;
}
