/**
 * @module proxy/header-names
 * Recognises common header field names straight from the bytes of a raw head, in any
 * letter case, and hands back one shared lower-case string for each. Decoding a name into
 * a fresh string, lower-casing it and hashing it for a Set lookup cost more per response
 * than anything else bulwark does to the head; most names in real responses are among the
 * few dozen below, and those take none of that work. Other names are decoded and lower-cased.
 * Every hop-by-hop field is among them, so a name this does not recognise is never one.
 */

/**
 * The fields a proxy never forwards (RFC 9110 §7.6.1 hop-by-hop fields), lower-case; the
 * fields a Connection header names are dropped too (see headers.ts).
 */
export const HOP_BY_HOP_FIELDS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  // The h2c upgrade's settings, a connection option (RFC 7540 §3.2.1); node:http2 throws on
  // it in a response, which left an HTTP/2 client's stream unanswered.
  'http2-settings',
  // Not hop-by-hop, but a proxy must answer it itself (Node sends 100 Continue for us)
  // and undici refuses to send it (RFC 9110 §10.1.1).
  'expect',
];

/** Hop-by-hop fields and fields bulwark treats specially come first. */
const COMMON = [
  ...HOP_BY_HOP_FIELDS,
  'x-request-id',
  'content-length',
  'content-type',
  'content-encoding',
  'content-language',
  'content-disposition',
  'content-range',
  'content-security-policy',
  'date',
  'server',
  'cache-control',
  'etag',
  'last-modified',
  'expires',
  'age',
  'pragma',
  'vary',
  'set-cookie',
  'location',
  'accept-ranges',
  'retry-after',
  'www-authenticate',
  'link',
  'via',
  'alt-svc',
  'strict-transport-security',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'x-content-type-options',
  'x-frame-options',
  'x-powered-by',
];

/** A common field name, as `commonField` hands it back. */
export interface CommonField {
  /** The lower-case name (one shared string). */
  readonly name: string;
  /** Whether it is in HOP_BY_HOP_FIELDS. */
  readonly hopByHop: boolean;
}

/** A name's lower-case bytes, and which of them are letters (matched in either case). */
interface Pattern extends CommonField {
  readonly lower: Uint8Array;
  readonly fold: Uint8Array;
}

function pattern(name: string): Pattern {
  const lower = Buffer.from(name, 'latin1');
  // 0x20 is the case bit of an ASCII letter; other bytes must match exactly.
  const fold = lower.map((c) => (c >= 0x61 && c <= 0x7a ? 0x20 : 0));
  return { name, hopByHop: HOP_BY_HOP_FIELDS.includes(name), lower, fold };
}

const BY_LENGTH: Pattern[][] = [];
for (const name of COMMON) (BY_LENGTH[name.length] ??= []).push(pattern(name));

function spells(b: Uint8Array, p: Pattern): boolean {
  const lower = p.lower;
  const fold = p.fold;
  for (let i = 0; i < lower.length; i++) {
    if ((b[i]! | fold[i]!) !== lower[i]) return false;
  }
  return true;
}

/**
 * The common field whose name `b` spells (ASCII letters in any case), or undefined when it
 * is not one of the common names (and so not a hop-by-hop field either).
 */
export function commonField(b: Uint8Array): CommonField | undefined {
  const list = BY_LENGTH[b.length];
  if (list === undefined) return undefined;
  for (let k = 0; k < list.length; k++) {
    if (spells(b, list[k]!)) return list[k]!;
  }
  return undefined;
}

const KEEP_ALIVE = BY_LENGTH[10]!.find((p) => p.name === 'keep-alive')!;
const CLOSE = pattern('close');

/** Whether a Connection value is just "keep-alive" or "close" (any case), naming no field to drop. */
export function isKeepAliveOrClose(b: Uint8Array): boolean {
  return b.length === 10 ? spells(b, KEEP_ALIVE) : b.length === 5 && spells(b, CLOSE);
}
