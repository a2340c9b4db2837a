/**
 * @module config/validate
 * Top-level validation: walks the document once, block by block, collecting every issue
 * rather than stopping at the first, and builds the normalised BulwarkConfig with defaults
 * filled in. Listen, upstreams, routes and backup have their own files; checks that span blocks (listen
 * address conflicts, route → upstream, header vs request timeout) are made here.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { ParsedNode } from 'yaml';
import { ACCESS_FORMATS, LOG_LEVELS } from '../core/config.js';
import type { BulwarkConfig, ListenAddress, LogConfig } from '../core/config.js';
import { addressesConflict, formatListenAddress, parseListenAddress } from './address.js';
import { readListen, type Located, type LocatedListener } from './validate-listen.js';
import {
  DEFAULT_ACCESS_FORMAT,
  DEFAULT_ACCESS_LOG,
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_PER_SERVER,
  DEFAULT_WORKERS,
  WORKERS_RANGE,
} from './defaults.js';
import { joinPath } from './validate-context.js';
import { Invalid, type Block, type Checker, type Parse } from './validate-context.js';
import { readRoutes } from './validate-routes.js';
import { readTrustedProxies } from './validate-trusted.js';
import { readUpstreams } from './validate-upstreams.js';
import { directory, readBackup } from './validate-backup.js';
import { readFront } from './validate-front.js';
import { readAlerts } from './validate-alerts.js';
import { readFleet } from './validate-fleet.js';
import { boolean, envName, integer, oneOf } from './validate-values.js';

const TOP_KEYS = ['listen', 'admin', 'log', 'metrics', 'front', 'upstreams', 'routes', 'backup', 'alerts', 'workers', 'trusted_proxies', 'fleet'] as const;

/**
 * Validates a whole document. Always returns a config (bad values replaced by defaults)
 * so one pass can go on to find every issue; it is only usable when `checker.issues` is empty.
 */
export function validateConfig(checker: Checker, root: ParsedNode | null): BulwarkConfig {
  const top = checker.optionalBlock(root, '', TOP_KEYS);
  const listen = readListen(checker, top);
  const trusted = readTrustedProxies(checker, top);
  checkProxyProtocol(checker, listen, trusted);
  const adminBlock = top.child('admin', ['listen', 'token_env']);
  const adminListen = readAddress(checker, adminBlock, DEFAULT_ADMIN_LISTEN);
  checkConflicts(checker, [...listen, adminListen]);
  const tokenEnv = adminBlock.read('token_env', envName('BULWARK_ADMIN_TOKEN'), undefined);
  // The admin API can drain servers and reload config: off loopback it needs a token.
  if (tokenEnv === undefined && !isLoopback(adminListen.address.host)) {
    checker.report(adminListen.node ?? adminBlock.node, joinPath(adminBlock.path, 'token_env'), `is required when admin.listen is not a loopback address (${formatListenAddress(adminListen.address)})`);
  }
  const upstreams = readUpstreams(checker, top);
  return {
    listen: listen.map((l) => l.listener),
    workers: top.read('workers', workerCount, DEFAULT_WORKERS),
    admin: { listen: adminListen.address, token_env: tokenEnv },
    log: readLog(checker, top),
    metrics: { per_server: top.child('metrics', ['per_server']).read('per_server', boolean, DEFAULT_METRICS_PER_SERVER) },
    front: readFront(checker, top),
    upstreams,
    routes: readRoutes(checker, top, upstreams.keys()),
    backup: readBackup(checker, top),
    alerts: readAlerts(checker, top),
    trusted_proxies: trusted,
    fleet: readFleet(checker, top),
  };
}

/** A PROXY protocol listener accepts only trusted_proxies: with none, it could serve nobody. */
function checkProxyProtocol(checker: Checker, listen: readonly LocatedListener[], trusted: readonly string[]): void {
  if (trusted.length > 0) return;
  for (const l of listen) {
    if (l.listener.proxy_protocol) checker.report(l.node, l.path.replace(/\.address$/, '.proxy_protocol'), 'needs trusted_proxies: the addresses allowed to send PROXY headers');
  }
}

/** `workers: auto` is one per core the process may use (os.availableParallelism: cgroup and affinity limits included). */
const workerCount: Parse<number> = (value) => {
  if (value === 'auto') return availableParallelism();
  const n = integer(WORKERS_RANGE)(value);
  return n instanceof Invalid ? new Invalid(`must be auto or an integer between ${WORKERS_RANGE.min} and ${WORKERS_RANGE.max}`) : n;
};

/** The log block; a relative access_file is resolved against the config file's folder, as backup.dir is. */
function readLog(checker: Checker, top: Block): LogConfig {
  const log = top.child('log', ['level', 'access', 'access_format', 'access_file']);
  return {
    level: log.read('level', oneOf(LOG_LEVELS), DEFAULT_LOG_LEVEL),
    access: log.read('access', boolean, DEFAULT_ACCESS_LOG),
    access_format: log.read('access_format', oneOf(ACCESS_FORMATS), DEFAULT_ACCESS_FORMAT),
    access_file: log.read('access_file', directory(dirname(resolve(checker.source.file))), undefined),
  };
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach them. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The single address under `listen:` in `block`, or the fallback (also when it is invalid). */
function readAddress(checker: Checker, block: Block, fallback: ListenAddress): Located {
  const e = block.get('listen');
  const address = e && checker.value(e.value, e.path, parseListenAddress);
  if (e && address) return { address, node: e.value, path: e.path };
  return { address: fallback, node: null, path: joinPath(block.path, 'listen') };
}

/** Each address that cannot be bound next to an earlier one is reported where it is written. */
function checkConflicts(checker: Checker, addresses: readonly Located[]): void {
  addresses.forEach((a, i) => {
    const earlier = addresses.slice(0, i).find((b) => addressesConflict(a.address, b.address));
    if (!earlier) return;
    const text = formatListenAddress(a.address);
    // A default can't move out of the way (an admin port that wanders is worse): say it is one.
    const rule = a.node === null
      ? `the default ${text} is already taken by ${earlier.path} (${formatListenAddress(earlier.address)}); write ${a.path} with another address`
      : a.address.host === earlier.address.host
        ? `duplicate address ${text}: already used by ${earlier.path}`
        : `${text} conflicts with ${earlier.path} (${formatListenAddress(earlier.address)}): same port on an overlapping host`;
    checker.report(a.node ?? earlier.node, a.path, rule);
  });
}

