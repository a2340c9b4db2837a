/**
 * @module config/validate-listen
 * `listen:`: one address, one listener, or a list of addresses and listeners, plain and TLS
 * mixed. Every entry becomes a Listener (core/config); a TLS block is read by
 * validate-tls. The address conflicts across listeners and admin.listen are checked by
 * config/validate, from the Located entries returned here.
 */
import { isMap, isSeq } from 'yaml';
import type { ParsedNode } from 'yaml';
import type { HstsConfig, ListenAddress, Listener } from '../core/config.js';
import { parseListenAddress } from './address.js';
import { DEFAULT_HSTS, DEFAULT_LISTEN } from './defaults.js';
import { parseDuration } from './duration.js';
import { Invalid, joinPath, type Block, type Checker, type Parse } from './validate-context.js';
import { readTls } from './validate-tls.js';
import { boolean, integer } from './validate-values.js';

const LISTENER_KEYS = ['address', 'tls', 'http2', 'redirect_https', 'hsts', 'proxy_protocol'] as const;
const HSTS_KEYS = ['max_age', 'include_subdomains', 'preload'] as const;
/** What the browsers' HSTS preload list requires (hstspreload.org): at least a year, subdomains included. */
const PRELOAD_MIN_AGE = 365 * 86_400;

/** A listen address and where it was written (no node when it is the default). */
export interface Located {
  readonly address: ListenAddress;
  readonly node: ParsedNode | null;
  readonly path: string;
}

export interface LocatedListener extends Located {
  readonly listener: Listener;
}

/** A plain HTTP/1.1 listener: what a bare address in `listen:` is. */
export const plainListener = (address: ListenAddress): Listener => ({ address, tls: undefined, http2: false, redirect_https: undefined, hsts: undefined });

/** HSTS max-age as a duration ("365d", "1h"), in whole seconds; "0s" tells browsers to forget the host. */
const maxAge: Parse<number> = (value) => {
  const ms = parseDuration(value);
  return ms === undefined ? new Invalid('must be a duration like 365d or 180d (0s: browsers forget the host)') : Math.floor(ms / 1000);
};

const onOff: Parse<boolean> = (v) => (typeof v === 'boolean' ? v : new Invalid('must be true, false or a mapping like { max_age: 365d, include_subdomains: true }'));

/** `hsts: true`, `false`, or a block; only on a TLS listener (RFC 6797 §7.2: never over plain HTTP). */
function readHsts(checker: Checker, listener: Block, tls: boolean): HstsConfig | undefined {
  const e = listener.get('hsts');
  if (e === undefined) return undefined;
  if (!isMap(e.value) && checker.value(e.value, e.path, onOff) !== true) return undefined;
  if (!tls) checker.report(e.key, e.path, 'needs tls on this listener (RFC 6797 §7.2: Strict-Transport-Security is never sent over plain HTTP)');
  const block = isMap(e.value) ? listener.child('hsts', HSTS_KEYS) : undefined;
  const hsts: HstsConfig = {
    max_age: block?.read('max_age', maxAge, DEFAULT_HSTS.max_age) ?? DEFAULT_HSTS.max_age,
    include_subdomains: block?.read('include_subdomains', boolean, DEFAULT_HSTS.include_subdomains) ?? DEFAULT_HSTS.include_subdomains,
    preload: block?.read('preload', boolean, DEFAULT_HSTS.preload) ?? DEFAULT_HSTS.preload,
  };
  if (hsts.preload && (!hsts.include_subdomains || hsts.max_age < PRELOAD_MIN_AGE)) {
    checker.report(block?.get('preload')?.value ?? null, joinPath(e.path, 'preload'), 'needs include_subdomains: true and max_age of at least 365d (the preload list refuses less)');
  }
  return hsts;
}

/** One listener object. */
function readObject(checker: Checker, node: ParsedNode, path: string): LocatedListener[] {
  const block = checker.block(node, path, LISTENER_KEYS);
  if (block === undefined) return [];
  const address = block.require('address', parseListenAddress);
  const tls = block.get('tls') ? readTls(checker, block) : undefined;
  const redirect = block.read('redirect_https', integer({ min: 1, max: 65_535 }), undefined);
  if (redirect !== undefined && tls !== undefined) checker.report(block.get('redirect_https')!.key, joinPath(path, 'redirect_https'), 'is for a plain listener (this one has tls)');
  const listener: Listener = {
    address: address ?? DEFAULT_LISTEN,
    tls,
    // HTTP/2 by ALPN is what browsers expect of TLS; cleartext h2c only when asked for.
    http2: block.read('http2', boolean, tls !== undefined),
    redirect_https: redirect,
    hsts: readHsts(checker, block, tls !== undefined),
    ...(block.read('proxy_protocol', boolean, false) && { proxy_protocol: true }),
  };
  const at = block.get('address')!;
  return address === undefined ? [] : [{ address, node: at.value, path: at.path, listener }];
}

/** One entry of `listen:`: an address or a listener object. */
function readEntry(checker: Checker, node: ParsedNode | null, path: string): LocatedListener[] {
  if (isMap(node)) return readObject(checker, node, path);
  const address = checker.value(node, path, parseListenAddress);
  return address ? [{ address, node, path, listener: plainListener(address) }] : [];
}

/** `listen:` of the top block; the default address when it is absent. */
export function readListen(checker: Checker, top: Block): LocatedListener[] {
  const e = top.get('listen');
  if (e === undefined) return [{ address: DEFAULT_LISTEN, node: null, path: 'listen', listener: plainListener(DEFAULT_LISTEN) }];
  if (!isSeq(e.value)) return readEntry(checker, e.value, e.path);
  return checker.list(e.value, e.path, 'address').flatMap(({ node, path }) => readEntry(checker, node, path));
}
