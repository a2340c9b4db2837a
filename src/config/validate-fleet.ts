/**
 * @module config/validate-fleet
 * Validation of the top-level `fleet:` block. Absent, the node is alone and Redis is never
 * touched; written, `redis` is required, as a URL or as `{ url, username_env, password_env, tls }`.
 */
import { hostname } from 'node:os';
import { isMap } from 'yaml';
import type { FleetConfig, FleetRedis } from '../core/config-fleet.js';
import { DEFAULT_FLEET_PREFIX, DEFAULT_FLEET_TIMEOUT_MS } from './defaults.js';
import { Invalid, type Block, type Checker, type Parse } from './validate-context.js';
import { boolean, durationUpTo, envName, text } from './validate-values.js';

const KEYS = ['redis', 'node', 'prefix', 'timeout', 'cookie_key_env'] as const;
const REDIS_KEYS = ['url', 'username_env', 'password_env', 'tls'] as const;
const URL_RULE = 'must be a redis:// or rediss:// URL like redis://127.0.0.1:6379/0';

/** A redis:// or rediss:// URL with a host and, if any, a database number as its path. */
const redisUrl: Parse<string> = (value) => {
  const s = text(value);
  if (s instanceof Invalid) return new Invalid(URL_RULE);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return new Invalid(URL_RULE);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return new Invalid(`${URL_RULE} (not ${url.protocol}//)`);
  if (!url.hostname) return new Invalid(`${URL_RULE} (no host)`);
  if (!/^\/?(\d+)?$/.test(url.pathname)) return new Invalid(`${URL_RULE} (the path is a database number, not ${url.pathname})`);
  // A password written in the file ends up in backups and in `git log`: it goes in an env var.
  if (url.password) return new Invalid(`${URL_RULE} without a password (name an environment variable in redis.password_env instead)`);
  return s;
};

/** A node name: printable, no spaces, since it is part of Redis keys and of /status. */
const nodeName: Parse<string> = (value) => {
  const s = typeof value === 'number' ? String(value) : value;
  return typeof s === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(s) ? s : new Invalid('must be 1 to 64 letters, digits, ".", "_", ":" or "-" like lb-a');
};

const prefix: Parse<string> = (value) => {
  const s = text(value);
  return s instanceof Invalid || s.length === 0 || /\s/.test(s) ? new Invalid('must be a non-empty key prefix without spaces like bulwark:prod:') : s;
};

function readRedis(checker: Checker, fleet: Block): FleetRedis | undefined {
  const e = fleet.need('redis');
  if (!e) return undefined;
  if (!isMap(e.value)) {
    const url = checker.value(e.value, e.path, redisUrl);
    return url === undefined ? undefined : { url, username_env: undefined, password_env: undefined, tls: url.startsWith('rediss:') };
  }
  const block = fleet.child('redis', REDIS_KEYS);
  const url = block.require('url', redisUrl);
  if (url === undefined) return undefined;
  return {
    url,
    username_env: block.read('username_env', envName('REDIS_USER'), undefined),
    password_env: block.read('password_env', envName('REDIS_PASSWORD'), undefined),
    tls: block.read('tls', boolean, url.startsWith('rediss:')),
  };
}

/** The fleet block; undefined when it is absent (or when its redis is unusable: that is reported). */
export function readFleet(checker: Checker, top: Block): FleetConfig | undefined {
  const fleet = top.feature('fleet', KEYS);
  if (!fleet) return undefined;
  const redis = readRedis(checker, fleet);
  const node = fleet.read('node', nodeName, hostname());
  const pre = fleet.read('prefix', prefix, DEFAULT_FLEET_PREFIX);
  // A request waits at most this long on Redis: a second is already far past useful.
  const timeout = fleet.read('timeout', durationUpTo(1000, '1s'), DEFAULT_FLEET_TIMEOUT_MS);
  const cookieKeyEnv = fleet.read('cookie_key_env', envName('BULWARK_COOKIE_KEY'), undefined);
  return redis && { redis, node, prefix: pre, timeout, cookie_key_env: cookieKeyEnv };
}
