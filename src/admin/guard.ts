/**
 * @module admin/guard
 * Who may talk to the admin API. Two checks, both before any handler runs:
 * - Host and Origin must name the admin listener itself. A DNS-rebinding attack makes a
 *   browser send requests for an attacker's DNS name to this address; such requests carry
 *   that name in Host (and Origin), so only IP literals and "localhost" are accepted, and
 *   they must match the bound address unless it is a wildcard (0.0.0.0 / ::).
 * - When a token is configured (always, off loopback), `Authorization: Bearer <token>` must
 *   match, compared in constant time. The token is never logged or echoed.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GuardFailure {
  readonly status: 401 | 403;
  readonly message: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function splitHost(value: string): { host: string; port: string } {
  const m = /^\[([^\]]+)\](?::(\d*))?$/.exec(value) ?? /^([^:]*)(?::(\d*))?$/.exec(value);
  return { host: (m?.[1] ?? '').toLowerCase(), port: m?.[2] ?? '' };
}

/** Whether a Host (or Origin authority) value names the admin listener. */
export function hostAllowed(value: string, bound: AddressInfo): boolean {
  const { host, port } = splitHost(value);
  if (port !== String(bound.port)) return false;
  const isLiteral = IPV4.test(host) || host.includes(':');
  if (host === 'localhost') return bound.address.startsWith('127.') || bound.address === '::1' || WILDCARDS.has(bound.address);
  if (!isLiteral) return false;
  return WILDCARDS.has(bound.address) || host === bound.address.toLowerCase();
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function checkRequest(req: IncomingMessage, bound: AddressInfo, token: string | undefined): GuardFailure | undefined {
  const host = req.headers.host;
  if (host === undefined || !hostAllowed(host, bound)) {
    return { status: 403, message: `Host ${JSON.stringify(host ?? '')} is not the admin address (DNS rebinding guard)` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const m = /^https?:\/\/(.+)$/.exec(origin);
    if (m === null || !hostAllowed(m[1]!, bound)) return { status: 403, message: `Origin ${JSON.stringify(origin)} is not the admin address` };
  }
  if (token !== undefined) {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    // Hashing first makes the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(digest(given), digest(token))) return { status: 401, message: 'missing or wrong admin token' };
  }
  return undefined;
}
