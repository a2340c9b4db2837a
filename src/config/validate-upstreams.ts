/**
 * @module config/validate-upstreams
 * Validation of the `upstreams:` block: each upstream's scheduler and pool settings and its
 * servers, including the checks that span keys (hash_key only with consistent-hash, server
 * names unique within an upstream, at least one server that is not a backup). The
 * health_check, outlier_detection, circuit_breaker, retries, sticky and tls blocks have their own files.
 */
import type { HashKey, ServerConfig, UpstreamConfig } from '../core/config.js';
import {
  CONNECTIONS_RANGE,
  DEFAULT_BACKUP,
  DEFAULT_CONNECTIONS,
  DEFAULT_HASH_KEY,
  DEFAULT_SCHEDULER,
  DEFAULT_SLOW_START,
  DEFAULT_UPSTREAM_KEEP_ALIVE,
  DEFAULT_UPSTREAM_TIMEOUTS,
  DEFAULT_WEIGHT,
  defaultServerName,
  WEIGHT_RANGE,
} from './defaults.js';
import { joinPath, type Block, type Checker, type Entry } from './validate-context.js';
import { readHealthCheck } from './validate-health.js';
import { readCircuitBreaker, readOutlierDetection, readRetries } from './validate-resilience.js';
import { readSticky } from './validate-sticky.js';
import { readUpstreamTls } from './validate-upstream-tls.js';
import { boolean, duration, durationOrOff, hashKey, integer, name, oneOf, readDurations, serverUrl } from './validate-values.js';

const UPSTREAM_KEYS = [
  'scheduler',
  'hash_key',
  'connections',
  'keep_alive',
  'timeouts',
  'slow_start',
  'health_check',
  'outlier_detection',
  'circuit_breaker',
  'retries',
  'sticky',
  'tls',
  'proxy_protocol',
  'servers',
] as const;
const SERVER_KEYS = ['url', 'name', 'weight', 'backup'] as const;
const TIMEOUT_KEYS = Object.keys(DEFAULT_UPSTREAM_TIMEOUTS);

/**
 * Reads every upstream, in file order. An upstream with errors is still returned (with
 * defaults in place of the bad values) so that routes naming it are not reported as well.
 */
export function readUpstreams(checker: Checker, top: Block): Map<string, UpstreamConfig> {
  const upstreams = new Map<string, UpstreamConfig>();
  const entry = top.need('upstreams');
  const block = entry && checker.block(entry.value, entry.path);
  if (!block) return upstreams;
  if (block.all().length === 0) checker.report(block.node, block.path, 'must define at least one upstream');
  for (const e of block.all()) {
    checker.value(e.key, e.path, name);
    upstreams.set(e.name, readUpstream(checker, e));
  }
  return upstreams;
}

function readUpstream(checker: Checker, e: Entry): UpstreamConfig {
  const u = checker.block(e.value, e.path, UPSTREAM_KEYS);
  const base = { name: e.name, connections: DEFAULT_CONNECTIONS, keep_alive: DEFAULT_UPSTREAM_KEEP_ALIVE, slow_start: DEFAULT_SLOW_START };
  const off = { health_check: undefined, outlier_detection: undefined, circuit_breaker: undefined, retries: undefined, sticky: undefined, tls: undefined };
  if (!u) return { ...base, ...off, scheduler: DEFAULT_SCHEDULER, hash_key: undefined, timeouts: DEFAULT_UPSTREAM_TIMEOUTS, servers: [] };

  // Read directly (not with a fallback) so an invalid scheduler does not also flag hash_key.
  // A hash_key written without a scheduler asks for consistent-hash: the default follows
  // it rather than contradict it.
  const s = u.get('scheduler');
  const h = u.get('hash_key');
  const scheduler = s ? checker.value(s.value, s.path, oneOf(checker.schedulers)) : h ? 'consistent-hash' : DEFAULT_SCHEDULER;
  let key: HashKey | undefined;
  if (h) {
    key = checker.value(h.value, h.path, hashKey);
    if (scheduler !== undefined && scheduler !== 'consistent-hash') {
      checker.report(h.key, h.path, `is only allowed when scheduler is consistent-hash (this upstream uses ${scheduler})`);
    }
  }
  const timeouts = readDurations(u.child('timeouts', TIMEOUT_KEYS), DEFAULT_UPSTREAM_TIMEOUTS);
  const servers = readServers(checker, u, e.name);
  return {
    name: e.name,
    scheduler: scheduler ?? DEFAULT_SCHEDULER,
    hash_key: scheduler === 'consistent-hash' ? (key ?? DEFAULT_HASH_KEY) : undefined,
    connections: u.read('connections', integer(CONNECTIONS_RANGE), base.connections),
    keep_alive: u.read('keep_alive', duration, base.keep_alive),
    timeouts,
    slow_start: u.read('slow_start', durationOrOff, base.slow_start),
    health_check: readHealthCheck(checker, u),
    outlier_detection: readOutlierDetection(checker, u),
    circuit_breaker: readCircuitBreaker(u),
    retries: readRetries(checker, u, timeouts.response),
    sticky: readSticky(checker, u),
    tls: readUpstreamTls(checker, u, servers),
    ...readProxyProtocol(checker, u, servers),
    servers,
  };
}

/** `proxy_protocol: v1 | v2`: http:// servers only (the header would have to go before a TLS handshake). */
function readProxyProtocol(checker: Checker, u: Block, servers: readonly ServerConfig[]): { proxy_protocol?: 'v1' | 'v2' } {
  const version = u.read('proxy_protocol', oneOf(['v1', 'v2'] as const), undefined);
  if (version === undefined) return {};
  const https = servers.find((s) => s.url.startsWith('https:'));
  if (https !== undefined) checker.report(u.get('proxy_protocol')!.key, joinPath(u.path, 'proxy_protocol'), `is for http:// servers only (${https.url} is https://)`);
  return { proxy_protocol: version };
}

function readServers(checker: Checker, u: Block, upstream: string): ServerConfig[] {
  const entry = u.need('servers');
  if (!entry) return [];
  const servers: ServerConfig[] = [];
  const pathOfName = new Map<string, string>();
  let primaries = 0;
  for (const [i, item] of checker.list(entry.value, entry.path, 'server').entries()) {
    const s = checker.block(item.node, item.path, SERVER_KEYS);
    if (!s) continue;
    const url = s.require('url', serverUrl);
    const serverName = s.read('name', name, defaultServerName(upstream, i));
    const weight = s.read('weight', integer(WEIGHT_RANGE), DEFAULT_WEIGHT);
    const backup = s.read('backup', boolean, DEFAULT_BACKUP);
    if (!backup) primaries++;
    const first = pathOfName.get(serverName);
    if (first === undefined) pathOfName.set(serverName, item.path);
    else {
      const n = s.get('name');
      const what = n ? `duplicate server name "${serverName}"` : `duplicate server name "${serverName}" (the default for this server)`;
      checker.report(n?.value ?? s.node, n?.path ?? item.path, `${what}; ${first} has the same name`);
    }
    if (url !== undefined) servers.push({ name: serverName, url, weight, backup });
  }
  // Backups stand in only while no primary is available: with no primary they would never serve.
  // (pathOfName is empty only when no server could be read at all; that is reported already.)
  if (primaries === 0 && pathOfName.size > 0) checker.report(entry.value, entry.path, 'at least one server must not be a backup');
  return servers;
}
