/**
 * @module config/validate-values
 * Parsers for single config values: each takes the plain YAML value and returns either the
 * normalised value or the rule it broke (an Invalid). They know nothing about positions or
 * paths, so every rule can be tested on its own and its wording is defined exactly once.
 */
import type { HashKey } from '../core/config.js';
import { formatDuration, MAX_DURATION_MS, parseDuration, parseSize } from './duration.js';
import { NAME_PATTERN } from './defaults.js';
import { didYouMean } from './suggest.js';
import { Invalid, joinPath } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';

export const DURATION_RULE = 'must be a duration like 500ms, 2s, 1m or 7d';
export const SIZE_RULE = 'must be a size like 512b, 16kb or 10mb';
export const HASH_KEY_RULE = 'must be one of: ip, path, header:NAME, cookie:NAME';
export const HOST_RULE = 'must be a host name like api.example.com or a wildcard like *.example.com';
export const URL_RULE = 'must be an http:// or https:// URL like http://127.0.0.1:3001';
export const TOKEN_RULE = "must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)";

/** RFC 9110 token: what a header or cookie name may be made of. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST_LABELS_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/** A duration in ms, longer than 0 and at most `max` (written as `maxText` in the rule). */
export function durationUpTo(max: number, maxText: string): Parse<number> {
  return (value) => {
    const ms = parseDuration(value);
    if (ms === undefined) return new Invalid(DURATION_RULE);
    if (ms <= 0) return new Invalid('must be longer than 0');
    return ms <= max ? ms : new Invalid(`must be at most ${maxText}`);
  };
}

/** A duration in ms, longer than 0 and short enough for a Node.js timer. */
export const duration: Parse<number> = durationUpTo(MAX_DURATION_MS, formatDuration(MAX_DURATION_MS));

/** A duration that may also be 0 ("0s", "0ms"), meaning off. */
export const durationOrOff: Parse<number> = (value) => {
  if (parseDuration(value) !== 0) return duration(value);
  return Number.parseFloat(value as string) === 0 ? 0 : new Invalid('must be 0s (off) or at least 1ms');
};

/** A size in bytes, at least `min` (described as `minText` in the rule). */
export function size(min: number, minText: string): Parse<number> {
  return (value) => {
    const bytes = parseSize(value);
    if (bytes === undefined) return new Invalid(SIZE_RULE);
    return bytes >= min ? bytes : new Invalid(`must be at least ${minText}`);
  };
}

export function integer(range: { readonly min: number; readonly max: number }): Parse<number> {
  return (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max
      ? value
      : new Invalid(`must be an integer between ${range.min} and ${range.max}`);
}

export function oneOf<T extends string>(values: readonly T[]): Parse<T> {
  return (value) => {
    if (values.includes(value as T)) return value as T;
    return new Invalid(`must be one of: ${values.join(', ')}${typeof value === 'string' ? didYouMean(value, values) : ''}`);
  };
}

/** A non-empty string; numbers and booleans are refused rather than turned into text. */
export const text: Parse<string> = (value) => {
  if (typeof value !== 'string') return new Invalid('must be a string (quote numbers and true/false: "200")');
  return value === '' ? new Invalid('must not be empty') : value;
};

export const boolean: Parse<boolean> = (value) => (typeof value === 'boolean' ? value : new Invalid('must be true or false'));

/** An upstream or server name. */
export const name: Parse<string> = (value) =>
  typeof value === 'string' && NAME_PATTERN.test(value) ? value : new Invalid(`must match ${String(NAME_PATTERN)}`);

/** A header or cookie name: an RFC 9110 token; header names are lower-cased, as Node delivers them. */
export function fieldName(kind: 'header' | 'cookie', prefix = ''): Parse<string> {
  return (value) => {
    if (typeof value !== 'string' || !TOKEN_RE.test(value)) return new Invalid(`${prefix}${TOKEN_RULE}`);
    return kind === 'header' ? value.toLowerCase() : value;
  };
}
const headerField = fieldName('header', 'header name ');
const cookieField = fieldName('cookie', 'cookie name ');

const HASH_KEY_FORMS = ['ip', 'path', 'header:NAME', 'cookie:NAME'];
/** ip | path | header:NAME (lower-cased) | cookie:NAME. */
export const hashKey: Parse<HashKey> = (value) => {
  if (value === 'ip' || value === 'path') return { kind: value };
  const m = typeof value === 'string' ? /^(header|cookie):(.*)$/.exec(value) : null;
  if (!m) return new Invalid(`${HASH_KEY_RULE}${typeof value === 'string' ? didYouMean(value, HASH_KEY_FORMS) : ''}`);
  const kind = m[1] as 'header' | 'cookie';
  const field = (kind === 'header' ? headerField : cookieField)(m[2]);
  return field instanceof Invalid ? field : { kind, name: field };
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`); `example` shows one in the rule. */
export function envName(example: string): Parse<string> {
  return (v) => (typeof v === 'string' && ENV_NAME.test(v) ? v : new Invalid(`must be an environment variable name like ${example}`));
}

/** An http:// or https:// URL with a host; anything else is `rule` (with what was wrong). */
export function httpUrl(value: unknown, rule: string): URL | Invalid {
  if (typeof value !== 'string') return new Invalid(rule);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return new Invalid(rule);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return new Invalid(`${rule} (got "${url.protocol}")`);
  if (!url.hostname) return new Invalid(`${rule} (no host)`);
  return url;
}

/** An upstream server URL, normalised to its origin ("http://127.0.0.1:3001"). */
export const serverUrl: Parse<string> = (value) => {
  const url = httpUrl(value, URL_RULE);
  if (url instanceof Invalid) return url;
  // A bare "?" or "#" leaves url.search or url.hash empty: the written text tells.
  const text = String(value);
  if (url.username || url.password) return new Invalid('must not contain a user name or password');
  if (url.pathname !== '/') return new Invalid(`must not have a path (got "${url.pathname}"); routes choose paths`);
  if (url.search || text.includes('?')) return new Invalid('must not have a query string');
  if (url.hash || text.includes('#')) return new Invalid('must not have a fragment');
  return url.origin;
};

/** A route host: "api.example.com" or "*.example.com", lower-cased, no port. */
export const routeHost: Parse<string> = (value) => {
  if (typeof value !== 'string') return new Invalid(HOST_RULE);
  const host = value.toLowerCase();
  if (/:\d*$/.test(host)) return new Invalid('must not include a port');
  const labels = host.startsWith('*.') ? host.slice(2) : host;
  if (HOST_LABELS_RE.test(labels)) return host;
  return new Invalid(host === '*' ? `${HOST_RULE}; leave host out to match any host` : HOST_RULE);
};

export const pathPrefix: Parse<string> = (value) => {
  if (typeof value !== 'string' || !value.startsWith('/')) return new Invalid('must start with "/"');
  return /[\s?#]/.test(value) ? new Invalid('must be a path without spaces, "?" or "#"') : value;
};

/** A parser for every field of T. */
export type Fields<T> = { readonly [K in keyof T]-?: Parse<T[K]> };

/** Every key of `parsers` read from `block` with its parser, each defaulting to its entry in `defaults`. */
export function readFields<T extends object>(block: Block, parsers: Fields<T>, defaults: T): T {
  const keys = Object.keys(parsers) as (keyof T & string)[];
  return Object.fromEntries(keys.map((k) => [k, block.read(k, parsers[k], defaults[k])])) as T;
}

/** Durations for every key of `defaults` read from `block`, each defaulting to its entry there. */
export function readDurations<K extends string>(block: Block, defaults: Readonly<Record<K, number>>): Record<K, number> {
  const parsers = Object.fromEntries(Object.keys(defaults).map((k) => [k, duration])) as Fields<Record<K, number>>;
  return readFields<Record<K, number>>(block, parsers, defaults);
}

/**
 * Keeps the duration `values[short]` no longer than `values[long]` (two keys of `block`) so
 * that a default never conflicts with what the user wrote, as HAProxy's fastinter defaults
 * to inter: a side left out adapts to the written one (short becomes the smaller of its
 * default and long, long the larger of its default and short). Only both sides written and
 * out of order is an error, at `short`, naming both keys. Returns `values`, adapted.
 */
export function keepOrder<T extends Readonly<Record<K, number>>, K extends string>(checker: Checker, block: Block, values: T, short: K, long: K): T {
  const [s, l] = [values[short], values[long]];
  if (s <= l) return values;
  if (!block.wrote(short)) return { ...values, [short]: l };
  if (!block.wrote(long)) return { ...values, [long]: s };
  const e = block.get(short);
  checker.report(e?.value, e?.path ?? block.path, `must not be longer than ${joinPath(block.path, long)} (${formatDuration(l)})`);
  return values;
}
