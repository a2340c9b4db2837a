/**
 * @module admin/guard
 * Who may talk to the admin API. Every check runs before any handler:
 * - The request must be HTTP/1.x and framed as Node reads it (core/framing: 505, 501 or 400).
 * - The request must be unambiguous. Host, Origin and Authorization appear at most once:
 *   Node keeps the first copy of Host and Authorization and joins Origins, while a proxy
 *   or log in front may read another copy (RFC 9112 §3.2: more than one Host is a 400, as
 *   is an invalid Host value). The target is a path (origin-form) or an absolute `http:`
 *   URL without userinfo whose authority is the Host value (RFC 9112 §3.2.2 makes the
 *   target's authority win; two different names in one request is an attack, so 400).
 * - Host and Origin must name the admin listener itself. A DNS-rebinding attack makes a
 *   browser send requests for an attacker's DNS name to this address; such requests carry
 *   that name in Host (and Origin), so only IP literals and "localhost" are accepted, and
 *   they must match the bound address unless it is a wildcard (0.0.0.0 / ::).
 * - When a token is configured (always, off loopback), the credentials must be
 *   `Bearer <token>`: the scheme in any case (RFC 9110 §11.1), then 1*SP (§11.4), then the
 *   token, compared in constant time. The token is never logged or echoed.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { framingProblem } from '../core/framing.js';

export interface GuardFailure {
  readonly status: 400 | 401 | 403 | 501 | 505;
  readonly message: string;
}

/** A request that passed: the origin-form target (path and query) to route on. */
export interface GuardPass {
  readonly status: 200;
  readonly target: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
/** uri-host [":" port] (RFC 3986 §3.2.2): an IP-literal or a reg-name; no userinfo, spaces or lists. */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::\d*)?$/;
/** An absolute-form target: scheme "://" authority, then the rest (RFC 9112 §3.2.2). */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
/** credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ] (RFC 9110 §11.4). */
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/s;
/** Fields a second copy of makes ambiguous. */
const SINGLETONS = new Set(['host', 'origin', 'authorization']);

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

/** The token of `Bearer <token>` credentials; '' for any other (or no) credentials. */
export function bearerToken(value: string | undefined): string {
  const m = CREDENTIALS.exec(value ?? '');
  return m !== null && m[1]!.toLowerCase() === 'bearer' ? (m[2] ?? '') : '';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether `given` is the admin token; hashing first makes the comparison constant-time whatever the lengths. */
export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/** The first singleton field that appears more than once in Node's flat raw list. */
function repeated(raw: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SINGLETONS.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

const bad = (message: string): GuardFailure => ({ status: 400, message });

/** The origin-form target of `url`, or why it is refused. `host` is the (valid) Host value. */
function originForm(url: string, host: string): string | GuardFailure {
  if (url.startsWith('/')) return url;
  const m = ABSOLUTE.exec(url);
  if (m === null) return bad('the request target must be a path or an absolute http URL');
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  if (scheme.toLowerCase() !== 'http') return bad(`the request target's scheme ${JSON.stringify(scheme)} is not http`);
  if (authority.includes('@')) return bad('the request target carries userinfo');
  const a = splitHost(authority);
  const h = splitHost(host);
  if (a.host !== h.host || (a.port || '80') !== (h.port || '80')) return bad('the request target and Host name different authorities');
  return rest.startsWith('/') ? rest : `/${rest}`;
}

export function checkRequest(req: IncomingMessage, bound: AddressInfo, token: string | undefined): GuardFailure | GuardPass {
  const framed = framingProblem(req.httpVersionMajor, req.httpVersionMinor, req.headers['transfer-encoding']);
  if (framed !== undefined) return framed;
  const twice = repeated(req.rawHeaders);
  if (twice !== undefined) return bad(`more than one ${twice === 'host' ? 'Host' : twice === 'origin' ? 'Origin' : 'Authorization'} field`);
  const host = req.headers.host;
  if (host !== undefined && !HOST_VALUE.test(host)) return bad('the Host value is not host[:port]');
  if (host === undefined || !hostAllowed(host, bound)) {
    return { status: 403, message: `Host ${JSON.stringify(host ?? '')} is not the admin address (DNS rebinding guard)` };
  }
  const target = originForm(req.url ?? '/', host);
  if (typeof target !== 'string') return target;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const m = /^https?:\/\/(.+)$/.exec(origin);
    if (m === null || !hostAllowed(m[1]!, bound)) return { status: 403, message: `Origin ${JSON.stringify(origin)} is not the admin address` };
  }
  if (token !== undefined && !tokenMatches(bearerToken(req.headers.authorization), token)) return { status: 401, message: 'missing or wrong admin token' };
  return { status: 200, target };
}
