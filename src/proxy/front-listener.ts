/**
 * @module proxy/front-listener
 * What one listener does before a request reaches the proxy, by its `listen:` entry:
 * `redirect_https` answers every request with a 308 to https itself (nothing goes
 * upstream), and `hsts` adds Strict-Transport-Security to a TLS listener's responses.
 * The entry is kept on the server and replaced on reload, so these follow a reload
 * without a new socket.
 */
import { isIP } from 'node:net';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { HstsConfig, Listener } from '../core/config.js';

const kListener = Symbol('bulwark.listener');

type Tagged = Record<symbol, Listener | undefined>;

/** Sets the entry `server` serves by (at creation, and on each reload). */
export function setListener(server: http.Server, listener: Listener): void {
  (server as unknown as Tagged)[kListener] = listener;
}

export function listenerOf(server: http.Server): Listener | undefined {
  return (server as unknown as Tagged)[kListener];
}

/** Whether the request came in over TLS (a TLS listener's socket is a TLSSocket; a finished request's may be gone, its response's not). */
export function isTls(req: http.IncomingMessage, res?: http.ServerResponse): boolean {
  return ((req.socket ?? res?.socket) as { encrypted?: boolean } | null | undefined)?.encrypted === true;
}

/** The Strict-Transport-Security value (RFC 6797 §6.1). */
export function hstsValue(h: HstsConfig): string {
  return `max-age=${h.max_age}${h.include_subdomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** The host of a Host value without its port, when it is a valid name or IP literal. */
function hostOnly(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{0,5})?$/i.exec(host.trim());
  if (m === null) return undefined;
  const h = m[1]!;
  if (h.startsWith('[')) return isIP(h.slice(1, -1)) === 6 ? h : undefined;
  return HOST_NAME.test(h) || isIP(h) === 4 ? h : undefined;
}

/** Where a request goes on https: the same host (its port replaced by `port`) and target; undefined without a valid Host. */
export function httpsLocation(req: http.IncomingMessage, port: number): string | undefined {
  let target = req.url ?? '/';
  // HTTP/2 carries the authority in :authority (RFC 9113 §8.3.1); Host is optional there.
  let host = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  if (!target.startsWith('/')) {
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host.
    try {
      const u = new URL(target);
      target = `${u.pathname}${u.search}`;
      host = u.host;
    } catch {
      return undefined;
    }
  }
  const h = hostOnly(host);
  if (h === undefined) return undefined;
  return `https://${h}${port === 443 ? '' : `:${port}`}${target}`;
}

/** A request head's own answer: a 308 to https, or 400 when there is no Host to send it to. */
function redirectHead(req: http.IncomingMessage, port: number): { status: number; headers: Record<string, string>; body: string } {
  const location = httpsLocation(req, port);
  // An unread body can't be skipped safely on a kept connection: close it.
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' || req.headers['transfer-encoding'] !== undefined;
  const close: Record<string, string> = hasBody ? { connection: 'close' } : {};
  if (location === undefined) return { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, body: '400 Bad Request: a valid Host header is needed to redirect to https\n' };
  return { status: 308, headers: { location, 'content-type': 'text/plain; charset=utf-8', ...close }, body: `308 Permanent Redirect: ${location}\n` };
}

/** Answers a request on a `redirect_https` listener. */
export function redirectToHttps(req: http.IncomingMessage, res: http.ServerResponse, port: number): void {
  const { status, headers, body } = redirectHead(req, port);
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(body);
}

/** Answers an Upgrade (WebSocket) request on a `redirect_https` listener, on its raw socket. */
export function redirectUpgrade(req: http.IncomingMessage, socket: Duplex, port: number): void {
  const { status, headers, body } = redirectHead(req, port);
  const fields = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${status === 308 ? 'Permanent Redirect' : 'Bad Request'}\r\n${fields.join('')}\r\n${body}`);
}
