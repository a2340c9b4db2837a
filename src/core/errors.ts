/**
 * @module core/errors
 * Every error bulwark raises on purpose has a stable `code` (safe to match on and to
 * alert on) and, where it ends a client request, the HTTP status it maps to.
 * Failures while forwarding map to a status and a code in one table: upstream-failure.ts.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'BLWK_CONFIG_INVALID',
  NO_ROUTE: 'BLWK_NO_ROUTE',
  /** A route's rate_limit refused the request (429 with Retry-After). */
  RATE_LIMITED: 'BLWK_RATE_LIMITED',
  NO_SERVER: 'BLWK_NO_SERVER',
  BAD_REQUEST: 'BLWK_BAD_REQUEST',
  BODY_TOO_LARGE: 'BLWK_BODY_TOO_LARGE',
  UPSTREAM_CONNECT: 'BLWK_UPSTREAM_CONNECT',
  UPSTREAM_RESET: 'BLWK_UPSTREAM_RESET',
  UPSTREAM_BAD_RESPONSE: 'BLWK_UPSTREAM_BAD_RESPONSE',
  UPSTREAM_TIMEOUT: 'BLWK_UPSTREAM_TIMEOUT',
  /** The TLS handshake with an https:// server failed: untrusted or expired certificate, wrong name, not TLS at all. */
  UPSTREAM_TLS: 'BLWK_UPSTREAM_TLS',
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
  /** No snapshot has the id given, or none that verifies was taken at or before the time given. */
  BACKUP_NOT_FOUND: 'BLWK_BACKUP_NOT_FOUND',
  /** A fleet snapshot under a fencing token lower than one the backup directory already committed (a stale leader). */
  BACKUP_FENCED: 'BLWK_BACKUP_FENCED',
  /** A fleet-wide job (the fleet backup snapshot) was asked of a node that is not the fleet's leader. */
  FLEET_NOT_LEADER: 'BLWK_FLEET_NOT_LEADER',
  /** A command was used wrongly (unknown command or option, a missing or extra argument): exit status 2. */
  USAGE: 'BLWK_USAGE',
  /** The admin API could not be reached (the backup commands and agent talk to bulwark through it). */
  ADMIN_UNREACHABLE: 'BLWK_ADMIN_UNREACHABLE',
  /** The admin API answered with an error, or with a body that does not read. */
  ADMIN_ERROR: 'BLWK_ADMIN_ERROR',
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

/**
 * What a command prints for `err`: the message, with a BulwarkError's stable code on its
 * first line ("1 config error [BLWK_CONFIG_INVALID]:" above the positioned issues).
 */
export function describeError(err: unknown): string {
  if (!(err instanceof BulwarkError)) return err instanceof Error ? err.message : String(err);
  const nl = err.message.indexOf('\n');
  const first = nl === -1 ? err.message : err.message.slice(0, nl);
  const colon = first.endsWith(':') ? ':' : '';
  return `${first.slice(0, first.length - colon.length)} [${err.code}]${colon}${nl === -1 ? '' : err.message.slice(nl)}`;
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
