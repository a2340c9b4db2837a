/**
 * @module config/address
 * Listen addresses as written in config ("0.0.0.0:8080", "[::1]:8080", ":8080", 8080) and
 * the overlap test behind the duplicate-address check. Separate from the validator so the
 * CLI can accept the same forms in a --listen flag and print addresses the same way.
 */
import { isIP, isIPv6 } from 'node:net';
import type { ListenAddress } from '../core/config.js';
import { PORT_RANGE } from './defaults.js';
import { Invalid } from './validate-context.js';

const ANY_V4 = '0.0.0.0';
const ANY = '::';
/** A DNS host name: dot-separated labels of letters, digits and inner hyphens. */
export const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export const ADDRESS_RULE = 'must be an address like 0.0.0.0:8080, [::1]:8080, :8080 or 8080';
export const PORT_RULE = `port must be an integer between ${PORT_RANGE.min} and ${PORT_RANGE.max}`;

function port(value: unknown): number | Invalid {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= PORT_RANGE.min && n <= PORT_RANGE.max ? n : new Invalid(PORT_RULE);
}

/**
 * Parses one listen address. A bare port or ":port" listens on every IPv4 interface
 * (0.0.0.0). IPv6 hosts must be bracketed and are returned without the brackets.
 */
export function parseListenAddress(value: unknown): ListenAddress | Invalid {
  if (typeof value === 'number') {
    const p = port(value);
    return p instanceof Invalid ? p : { host: ANY_V4, port: p };
  }
  if (typeof value !== 'string') return new Invalid(ADDRESS_RULE);
  if (/^\d+$/.test(value)) return parseListenAddress(Number(value));
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d*)$/.exec(value);
  if (!m) return new Invalid(value.split(':').length > 2 ? 'IPv6 addresses must be in brackets, like [::1]:8080' : ADDRESS_RULE);
  const [, v6, other, portText] = m;
  const p = portText ? port(portText) : new Invalid(ADDRESS_RULE);
  if (p instanceof Invalid) return p;
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port: p } : new Invalid(`"${v6}" is not an IPv6 address`);
  const host = other || ANY_V4;
  return isIP(host) || HOSTNAME_RE.test(host) ? { host, port: p } : new Invalid(`"${host}" is not a valid host name or IP address`);
}

/** "0.0.0.0:8080", "[::1]:8080": the form the address was written in, for logs and messages. */
export function formatListenAddress(a: ListenAddress): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Whether two addresses cannot both be bound: the same non-zero port on the same host, or
 * on overlapping hosts: "::" (dual-stack) overlaps everything, "0.0.0.0" everything but
 * IPv6 literals. Port 0 never conflicts: each listener gets its own ephemeral port.
 */
export function addressesConflict(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  if (a.host === b.host || a.host === ANY || b.host === ANY) return true;
  return (a.host === ANY_V4 && !isIPv6(b.host)) || (b.host === ANY_V4 && !isIPv6(a.host));
}
