/**
 * @module log/access-combined
 * The access line in nginx's and Apache's "combined" shape, for tools that read it
 * (GoAccess, AWStats, fail2ban), with bulwark's own fields after it as key=value:
 *
 *   127.0.0.1 - - [04/Dec/2026:20:11:28 +0000] "GET /x HTTP/1.1" 200 - "-" "-" upstream=web server=web-1 duration_ms=2.01 request_id=… host=shop.example.com bytes_in=180 bytes_out=1432 attempts=1 [steer=…] [error=BLWK_…] [detail="…"]
 *
 * The access record has no user, body size (bytes_out counts the head
 * too), referer or user agent: each is "-", as is an unknown client address. The time
 * is the request's arrival, in UTC.
 *
 * Written in one pass straight into the log writer's buffer. Every text field is escaped
 * as nginx escapes its log variables: `"`, `\`, control bytes and bytes above 0x7e become
 * \xHH (a code unit above 0xff, which no request line can carry, becomes \uHHHH), so a
 * client cannot end a line or a field early; in unquoted key=value fields a space is
 * escaped too. The output is plain ASCII.
 */
import type { AccessRecord } from '../proxy/access-record.js';
import { MS_FRACTION, ascii, put, putDigits, putInt } from './access-line.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map(ascii);
const HEX = ascii('0123456789abcdef');
/** 1 for the characters written as they are: printable ASCII but space, `"` and `\`. */
const AS_IS = Uint8Array.from({ length: 128 }, (_, c) => (c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? 1 : 0));
const P_IDENT = ascii(' - - [');
const P_REQUEST = ascii(' +0000] "');
const P_STATUS = ascii('" ');
const P_UPSTREAM = ascii(' - "-" "-" upstream=');
const P_SERVER = ascii(' server=');
const P_DURATION = ascii(' duration_ms=');
const P_ID = ascii(' request_id=');
const P_HOST = ascii(' host=');
const P_BYTES_IN = ascii(' bytes_in=');
const P_BYTES_OUT = ascii(' bytes_out=');
const P_ATTEMPTS = ascii(' attempts=');
const P_STEER = ascii(' steer=');
const P_ERROR = ascii(' error=');
const P_DETAIL = ascii(' detail="');
/** Fixed bytes of the longest line, and the numbers' digits (generously). */
const FIXED = 256;

/** Bytes a combined line for `r` may take (each character escapes to at most 6 bytes). */
export function combinedLineBound(r: AccessRecord): number {
  const text = r.method.length + r.path.length + r.protocol.length + (r.upstream?.length ?? 1) + (r.server?.length ?? 1) + r.request_id.length + r.client.length + r.host.length;
  return FIXED + 6 * (text + r.steer.length + r.error.length + r.detail.length);
}

/**
 * Copies `s`, escaping as the module comment says (a space too unless `spaces`).
 * The caller guarantees room for 6 bytes per character.
 */
function putEscaped(buf: Uint8Array, at: number, s: string, spaces: boolean): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // One table load instead of four comparisons for the common character.
    if (c < 0x80 && AS_IS[c] === 1) buf[at++] = c;
    else if (c === 0x20 && spaces) buf[at++] = c;
    else if (c <= 0xff) {
      buf[at] = 0x5c;
      buf[at + 1] = 0x78; // x
      buf[at + 2] = HEX[c >> 4]!;
      buf[at + 3] = HEX[c & 15]!;
      at += 4;
    } else {
      buf[at] = 0x5c;
      buf[at + 1] = 0x75; // u
      for (let k = 0; k < 4; k++) buf[at + 2 + k] = HEX[(c >> (12 - 4 * k)) & 15]!;
      at += 6;
    }
  }
  return at;
}

/** An optional name: "-" when absent. */
function putName(buf: Uint8Array, at: number, s: string | undefined): number {
  if (s !== undefined && s !== '') return putEscaped(buf, at, s, false);
  buf[at] = 0x2d;
  return at + 1;
}

/** A count: digits, or (2^31 and over: a long tunnel's bytes) its text. */
function putCount(buf: Uint8Array, at: number, n: number): number {
  return n >= 0 && n < 2147483648 ? putInt(buf, at, n) : put(buf, at, ascii(String(n)));
}

/**
 * Writes combined lines (see the module comment). The `[date]` text changes once a
 * second at most, so the last one is kept.
 */
export class CombinedLineWriter {
  #second = -1;
  #date = new Uint8Array(20);

  /**
   * Writes the line for `r` into `buf` at `at`, which has room for `combinedLineBound(r)`
   * bytes, and returns the offset after it. Never declines. A bound function, to hand to
   * LineWriter.writeWith.
   */
  readonly write = (buf: Uint8Array, at: number, r: AccessRecord): number => {
    at = put(buf, put(buf, putName(buf, at, r.client), P_IDENT), this.#dateOf(r.time));
    at = putEscaped(buf, put(buf, at, P_REQUEST), r.method, false);
    buf[at++] = 0x20;
    at = putEscaped(buf, at, r.path, false);
    buf[at++] = 0x20;
    at = putEscaped(buf, at, r.protocol, false);
    const status = r.status >= 0 && r.status < 1000 ? r.status | 0 : 0;
    at = putInt(buf, put(buf, at, P_STATUS), status);
    at = putName(buf, put(buf, at, P_UPSTREAM), r.upstream);
    at = putName(buf, put(buf, at, P_SERVER), r.server);
    at = put(buf, at, P_DURATION);
    const us = Math.round(r.duration_ms * 1000);
    if (us >= 0 && us < 2147483648) at = put(buf, putInt(buf, at, (us / 1000) | 0), MS_FRACTION_BYTES[us % 1000]!);
    else buf[at++] = 0x2d;
    at = putName(buf, put(buf, at, P_ID), r.request_id);
    at = putName(buf, put(buf, at, P_HOST), r.host);
    at = putCount(buf, put(buf, at, P_BYTES_IN), r.bytes_in);
    at = putCount(buf, put(buf, at, P_BYTES_OUT), r.bytes_out);
    at = putCount(buf, put(buf, at, P_ATTEMPTS), r.attempts);
    if (r.steer !== '') at = putEscaped(buf, put(buf, at, P_STEER), r.steer, false);
    if (r.error !== '') at = putEscaped(buf, put(buf, at, P_ERROR), r.error, false);
    if (r.detail !== '') {
      at = putEscaped(buf, put(buf, at, P_DETAIL), r.detail, true);
      buf[at++] = 0x22;
    }
    buf[at] = 0x0a;
    return at + 1;
  };

  /** `dd/Mon/yyyy:HH:MM:SS` in UTC for epoch ms `t`. */
  #dateOf(t: number): Uint8Array {
    const second = Math.floor(t / 1000);
    if (second !== this.#second) {
      const d = new Date(second * 1000);
      const b = this.#date;
      putDigits(b, 0, d.getUTCDate(), 2);
      b[2] = 0x2f;
      put(b, 3, MONTHS[d.getUTCMonth()] ?? ascii('???'));
      b[6] = 0x2f;
      putDigits(b, 7, Math.min(Math.max(d.getUTCFullYear(), 0), 9999) || 0, 4);
      b[11] = 0x3a;
      putDigits(b, 12, d.getUTCHours() || 0, 2);
      b[14] = 0x3a;
      putDigits(b, 15, d.getUTCMinutes() || 0, 2);
      b[17] = 0x3a;
      putDigits(b, 18, d.getUTCSeconds() || 0, 2);
      this.#second = second;
    }
    return this.#date;
  }
}

const MS_FRACTION_BYTES = MS_FRACTION.map(ascii);

/** The line as text (for a destination without a batch buffer, or a line too long for one). */
export function combinedLineText(lines: CombinedLineWriter, r: AccessRecord): string {
  const buf = Buffer.allocUnsafe(combinedLineBound(r));
  return buf.toString('latin1', 0, lines.write(buf, 0, r));
}
