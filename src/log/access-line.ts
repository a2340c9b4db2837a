/**
 * @module log/access-line
 * The access line, in pino's line shape (level 30, epoch-ms time, flat request fields):
 *
 *   {"level":30,"time":…,"pid":…,"msg":"access","method":…,"path":…,"protocol":…,"status":…,"upstream":…,
 *    "server":…,"duration_ms":…,"request_id":…,"client":…,"host":…,"bytes_in":…,
 *    "bytes_out":…,"attempts":…[,"steer":…][,"error":…][,"detail":…]}
 *
 * `accessLineText` builds it as a string. `AccessLineWriter.write` writes the same bytes
 * straight into the log writer's batch buffer, with no string building, number-to-text or
 * encoding call: with one line per request, the string build was the costliest part of
 * logging (a few % of the proxy's CPU per request). It handles the common line, where
 * every text field is printable ASCII with nothing to escape, and declines the rest, which
 * then take the string path: both give identical bytes.
 */
import { jsonString as q } from '../core/format.js';
import type { AccessRecord } from '../proxy/access-record.js';

/** ".001" … ".999" (trailing zeros dropped, as JSON.stringify prints them), "" for 0. */
export const MS_FRACTION = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

/** The line as a string (any content; JSON-escaped where needed); `pid`: the logging process's. */
export function accessLineText(r: AccessRecord, pid: number): string {
  const us = Math.round(r.duration_ms * 1000);
  // Upstream and server names are validated config names ([A-Za-z0-9_.-]); method is an
  // HTTP token (Node's parser enforces it); a client address is an IP literal; steer is
  // made of those names; protocol is one of three constants. Path, request id and Host
  // come from the client: escaped.
  return (
    `{"level":30,"time":${r.time},"pid":${pid},"msg":"access","method":"${r.method}","path":${q(r.path)},"protocol":"${r.protocol}","status":${r.status},` +
    `"upstream":${r.upstream === undefined ? 'null' : `"${r.upstream}"`},"server":${r.server === undefined ? 'null' : `"${r.server}"`},` +
    `"duration_ms":${Math.floor(us / 1000)}${MS_FRACTION[us % 1000]},"request_id":${q(r.request_id)},` +
    `"client":${r.client === '' ? 'null' : q(r.client)},"host":${r.host === '' ? 'null' : q(r.host)},` +
    `"bytes_in":${r.bytes_in},"bytes_out":${r.bytes_out},"attempts":${r.attempts}${r.steer === '' ? '' : `,"steer":${q(r.steer)}`}` +
    `${r.error === '' ? '' : `,"error":"${r.error}"`}${r.detail === '' ? '' : `,"detail":${q(r.detail)}`}}\n`
  );
}

/** The bytes of an ASCII string. */
export const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const P_TIME = ascii('{"level":30,"time":');
/** What follows the time up to the method: constant per process, so built once per writer. */
const pidToMethod = (pid: number): Uint8Array => ascii(`,"pid":${pid},"msg":"access","method":"`);
const P_PATH = ascii('","path":"');
const P_PROTOCOL = ascii('","protocol":"');
const P_STATUS = ascii('","status":');
const P_UPSTREAM = ascii(',"upstream":');
const P_SERVER = ascii(',"server":');
const P_DURATION = ascii(',"duration_ms":');
const P_ID = ascii(',"request_id":"');
const P_CLIENT = ascii('","client":');
const P_HOST = ascii(',"host":');
const P_BYTES_IN = ascii(',"bytes_in":');
const P_BYTES_OUT = ascii(',"bytes_out":');
const P_ATTEMPTS = ascii(',"attempts":');
const P_STEER = ascii(',"steer":"');
const P_ERROR = ascii(',"error":"');
const NULL = ascii('null');
const END = ascii('}\n');
/** Fixed bytes of the longest line, plus the digits of its numbers (a pid has at most 10). */
const FIXED =
  P_TIME.length + pidToMethod(2 ** 31 - 1).length + P_PATH.length + P_PROTOCOL.length + P_STATUS.length + P_UPSTREAM.length + P_SERVER.length + P_DURATION.length + P_ID.length +
  P_CLIENT.length + P_HOST.length + P_BYTES_IN.length + P_BYTES_OUT.length + P_ATTEMPTS.length + P_STEER.length + P_ERROR.length + END.length + 4 + 128;

/** Bytes a line for `r` may take in `AccessLineWriter.write` (an upper bound). */
export function accessLineBound(r: AccessRecord): number {
  return FIXED + r.method.length + r.path.length + r.protocol.length + (r.upstream?.length ?? 0) + (r.server?.length ?? 0) + r.request_id.length + r.client.length + r.host.length + r.steer.length + r.error.length;
}

/** Copies fixed bytes (a dozen or two: a loop beats calling TypedArray#set). */
export function put(buf: Uint8Array, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
  return at + n;
}

/** 1 for the characters a JSON string holds as they are: printable ASCII but `"` and `\`. */
const PLAIN = Uint8Array.from({ length: 128 }, (_, c) => (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? 1 : 0));

/** Copies `s` as bytes; -1 if a character is outside printable ASCII or needs JSON escaping. */
function putPlain(buf: Uint8Array, at: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // One table load instead of four comparisons per character: this loop is most of a line's cost.
    if (c > 0x7f || PLAIN[c] === 0) return -1;
    buf[at + i] = c;
  }
  return at + n;
}

/** Writes a non-negative integer below 2^31 as exactly `digits` decimal digits, zero-padded. */
export function putDigits(buf: Uint8Array, at: number, n: number, digits: number): number {
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 0x30 + (n % 10);
    n = (n / 10) | 0;
  }
  return at + digits;
}

/** Writes a non-negative integer below 2^31 in decimal (small-integer arithmetic only). */
export function putInt(buf: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  return putDigits(buf, at, n, digits);
}

function putName(buf: Uint8Array, at: number, name: string | undefined): number {
  if (name === undefined || name === '') return put(buf, at, NULL);
  buf[at] = 0x22;
  at = putPlain(buf, at + 1, name);
  if (at < 0) return -1;
  buf[at] = 0x22;
  return at + 1;
}

/** Copies `s` and a closing quote (the opening one is in the prefix); -1 as putPlain. */
function putQuoted(buf: Uint8Array, at: number, s: string): number {
  at = putPlain(buf, at, s);
  if (at < 0) return -1;
  buf[at] = 0x22;
  return at + 1;
}

/**
 * Writes access lines in place (see the module comment). One per log writer. A line's time
 * is its request's arrival, and lines are written as requests end, so consecutive lines
 * flip between neighbouring milliseconds: the digits above the last six (which change
 * every 1000 s) are kept, and the last six are written with small-integer arithmetic.
 */
export class AccessLineWriter {
  /** The decimal digits of `#high`, the time divided by 10^6 (empty for 0). */
  #highDigits: Uint8Array = ascii('');
  #high = 0;
  /** `,"pid":<pid>,"msg":"access","method":"`. */
  readonly #pidToMethod: Uint8Array;

  /** `pid`: the logging process's id (pino's `pid` field; the same on every line). */
  constructor(pid: number) {
    this.#pidToMethod = pidToMethod(pid);
  }

  /**
   * Writes the line for `r` into `buf` at `at` (which has room for `accessLineBound(r)`
   * bytes). Returns the offset after it, or -1 when a field needs escaping or non-ASCII
   * bytes, or a number is out of the usual range: the caller then writes
   * `accessLineText(r)` instead (nothing written here counts). A bound function, to hand
   * to LineWriter.writeWith.
   */
  readonly write = (buf: Uint8Array, at: number, r: AccessRecord): number => {
    const d = Math.round(r.duration_ms * 1000);
    // Durations of 2^31 µs (36 min) and over, odd statuses, byte counts of 2 GiB and over
    // (long tunnels), and lines with a detail (failed requests only: rare, and free text)
    // take the string path.
    if (!(d >= 0 && d < 2147483648) || !(r.status >= 100 && r.status < 1000) || r.detail !== '') return -1;
    if (!(r.bytes_in >= 0 && r.bytes_in < 2147483648 && r.bytes_out >= 0 && r.bytes_out < 2147483648 && r.attempts >= 0 && r.attempts < 1000)) return -1;
    const us = d | 0; // a small integer from here on: integer division and remainder
    at = this.#putTime(buf, put(buf, at, P_TIME), r.time);
    if (at < 0) return -1;
    at = putPlain(buf, put(buf, at, this.#pidToMethod), r.method);
    if (at < 0) return -1;
    at = putPlain(buf, put(buf, at, P_PATH), r.path);
    if (at < 0) return -1;
    at = putPlain(buf, put(buf, at, P_PROTOCOL), r.protocol);
    if (at < 0) return -1;
    at = putInt(buf, put(buf, at, P_STATUS), r.status);
    at = putName(buf, put(buf, at, P_UPSTREAM), r.upstream);
    if (at < 0) return -1;
    at = putName(buf, put(buf, at, P_SERVER), r.server);
    if (at < 0) return -1;
    at = putInt(buf, put(buf, at, P_DURATION), (us / 1000) | 0);
    // The same fraction text as the string path (plain ASCII: putPlain cannot decline it).
    at = putPlain(buf, at, MS_FRACTION[us % 1000]!);
    at = putPlain(buf, put(buf, at, P_ID), r.request_id);
    if (at < 0) return -1;
    at = putName(buf, put(buf, at, P_CLIENT), r.client);
    if (at < 0) return -1;
    at = putName(buf, put(buf, at, P_HOST), r.host);
    if (at < 0) return -1;
    at = putInt(buf, put(buf, at, P_BYTES_IN), r.bytes_in);
    at = putInt(buf, put(buf, at, P_BYTES_OUT), r.bytes_out);
    at = putInt(buf, put(buf, at, P_ATTEMPTS), r.attempts);
    if (r.steer !== '') at = putQuoted(buf, put(buf, at, P_STEER), r.steer);
    if (r.error !== '' && at >= 0) at = putQuoted(buf, put(buf, at, P_ERROR), r.error);
    return at < 0 ? -1 : put(buf, at, END);
  };

  #putTime(buf: Uint8Array, at: number, t: number): number {
    if (!(t >= 0 && t <= Number.MAX_SAFE_INTEGER && Number.isInteger(t))) return -1;
    const high = Math.floor(t / 1e6);
    const low = (t - high * 1e6) | 0;
    if (high === 0) return putInt(buf, at, low);
    if (high !== this.#high) {
      this.#highDigits = ascii(String(high));
      this.#high = high;
    }
    return putDigits(buf, put(buf, at, this.#highDigits), low, 6);
  }
}
