/**
 * @module core/upstream-failure
 * The one table of failures while forwarding: each error code an attempt can end with
 * (undici's UND_ERR_*, llhttp's HPE_*, system errnos, and bulwark's own BLWK_ codes)
 * maps, once, to how the attempt ended for the server's record (outlier detection,
 * breakers, retries: see outcome.ts), the status the client gets, and the BLWK_ code of
 * the access log. Nothing else classifies an upstream error.
 */
import { BulwarkError, ErrorCodes, type ErrorCode } from './errors.js';
import type { AttemptOutcome, AttemptResult } from './outcome.js';

/** What bulwark makes of one failed attempt. */
export interface UpstreamFailure {
  /** For the upstream's observers; `code` is the raw code (e.g. ECONNREFUSED). */
  readonly outcome: AttemptOutcome;
  /** The status a client gets when no response head was sent yet. */
  readonly status: number;
  /** The access log's `error`. */
  readonly code: ErrorCode;
}

type Row = readonly [AttemptResult, status: number, code: ErrorCode];

const CONNECT: Row = ['connect_failure', 502, ErrorCodes.UPSTREAM_CONNECT];
const RESET: Row = ['reset', 502, ErrorCodes.UPSTREAM_RESET];
const TIMEOUT: Row = ['timeout', 504, ErrorCodes.UPSTREAM_TIMEOUT];
/** The TLS handshake failed: no byte of the request reached the server, as with CONNECT. */
const TLS: Row = ['connect_failure', 502, ErrorCodes.UPSTREAM_TLS];
const BAD: Row = ['bad_response', 502, ErrorCodes.UPSTREAM_BAD_RESPONSE];
/** bulwark gave up on the attempt: not the server's fault, and the status is moot or the error's own. */
const CANCEL: Row = ['cancelled', 502, ErrorCodes.CLIENT_ABORTED];

const TABLE: ReadonlyMap<string, Row> = new Map<string, Row>([
  // No connection: no byte of the request reached the server (safe to retry anything).
  ['ECONNREFUSED', CONNECT],
  ['EHOSTUNREACH', CONNECT],
  ['ENETUNREACH', CONNECT],
  ['ENOTFOUND', CONNECT],
  ['EAI_AGAIN', CONNECT],
  ['UND_ERR_CONNECT_TIMEOUT', ['connect_failure', 504, ErrorCodes.UPSTREAM_CONNECT]],
  // Certificate verification (OpenSSL's X509_V_ERR_* names, as Node reports them).
  ...[
    'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED',
    'CERT_REVOKED', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'HOSTNAME_MISMATCH',
    'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  ].map((c): [string, Row] => [c, TLS]),
  // Too slow: 504 Gateway Timeout.
  ['UND_ERR_HEADERS_TIMEOUT', TIMEOUT],
  ['UND_ERR_BODY_TIMEOUT', TIMEOUT],
  ['ETIMEDOUT', TIMEOUT],
  // The connection broke after it was made.
  ['ECONNRESET', RESET],
  ['EPIPE', RESET],
  ['UND_ERR_SOCKET', RESET],
  ['UND_ERR_CLOSED', RESET],
  ['UND_ERR_DESTROYED', RESET],
  // The server sent something that is not valid HTTP (HPE_* are matched by prefix below).
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', BAD],
  ['UND_ERR_RES_EXCEEDED_MAX_SIZE', BAD],
  ['UND_ERR_HEADERS_OVERFLOW', BAD],
  ['UND_ERR_INFO', BAD],
  // bulwark stopped the attempt: the client went away or sent too much, a buffer failed.
  ['UND_ERR_ABORTED', CANCEL],
  [ErrorCodes.CLIENT_ABORTED, CANCEL],
  [ErrorCodes.CLIENT_TIMEOUT, CANCEL],
  [ErrorCodes.BODY_TOO_LARGE, CANCEL],
  [ErrorCodes.BUFFER_IO, CANCEL],
]);

/**
 * Codes matched by prefix: llhttp's parse errors; Node's TLS errors (ERR_TLS_CERT_ALTNAME_INVALID,
 * a name mismatch; ERR_TLS_HANDSHAKE_TIMEOUT) and OpenSSL's (ERR_SSL_WRONG_VERSION_NUMBER: a
 * plain HTTP server behind https://; ERR_SSL_TLSV1_ALERT_UNKNOWN_CA or ..._CERTIFICATE_REQUIRED:
 * the server refused our client certificate or its absence).
 */
const PREFIXES: ReadonlyArray<readonly [string, Row]> = [['HPE_', BAD], ['ERR_TLS_', TLS], ['ERR_SSL_', TLS]];

function rowOf(code: string): Row | undefined {
  return TABLE.get(code) ?? PREFIXES.find(([p]) => code.startsWith(p))?.[1];
}

/**
 * Classifies a failure while forwarding. An error wrapping another (undici's `cause`) is
 * classified by the first code in the chain that the table knows; an unknown failure is a
 * reset (502). A BulwarkError keeps its own status and code.
 */
export function upstreamFailure(err: unknown): UpstreamFailure {
  const raw = codeOf(err);
  let row: Row | undefined;
  for (let e: unknown = err, depth = 0; row === undefined && e != null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = codeOf(e);
    if (c !== undefined) row = rowOf(c);
  }
  const [result, status, code] = row ?? RESET;
  const outcome: AttemptOutcome = { result, status: 0, code: raw ?? 'ERROR' };
  if (err instanceof BulwarkError) return { outcome, status: err.status, code: err.code };
  return { outcome, status, code };
}

/** A short, stable description of an upstream failure for logs and event reasons. */
export function describeUpstreamError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'ERROR';
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return `${code}: ${msg}`;
}

/** The outcome of an attempt bulwark gave up on because the client went away. */
export const CANCELLED: AttemptOutcome = Object.freeze({ result: 'cancelled', status: 0, code: ErrorCodes.CLIENT_ABORTED });

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}
