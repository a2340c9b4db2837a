/**
 * @module proxy/upgrade
 * The front servers' 'upgrade' and 'connect' listeners: what happens to a request Node
 * has handed over together with its raw connection. Only WebSocket is tunnelled (see
 * tunnel.ts); any other Upgrade (h2c, TLS/1.0...) is ignored, as RFC 9110 §7.8 allows: the
 * request is served as an ordinary one and its connection closed after the response.
 * Tunnelling h2c would hand the client a raw HTTP/2 connection to the server, past every
 * route. CONNECT (RFC 9110 §9.3.6) would open a raw tunnel too: bulwark is a reverse
 * proxy, not a forward one, so it gets 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '../core/errors.js';
import { retryAfterSeconds } from '../resilience/rate-limit.js';
import { rateLimitedDetail, rateWait } from './rate-check.js';
import { ProxyResponse } from './response-writer.js';
import { RequestContext, isWebSocketUpgrade, type Resolved } from './request-head.js';
import { ALLOWED_METHODS } from './respond.js';
import { rejectUpgrade, tunnel, type TunnelDone } from './tunnel.js';

/** What the listeners need from the proxy (implemented by Proxy). */
export interface UpgradeHost {
  /** Open tunnels, cut at the end of a drain. */
  readonly tunnels: Set<Duplex>;
  newRequestId(): string;
  /** Counts a request in flight; `record` ends it. */
  begin(): void;
  resolve(req: IncomingMessage): Resolved;
  record(req: IncomingMessage, start: number, id: string, status: number, upstream: string | undefined, server: string | undefined, error: string, detail?: string): void;
  /** The ordinary request path. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function onUpgrade(host: UpgradeHost, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  // Node emits 'upgrade' as soon as the head is parsed, even while the response to an
  // earlier pipelined request on this connection is still going out: wait for it, or
  // our bytes would land in the middle of it.
  const earlier = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (earlier) {
    const go = (): void => {
      earlier.off('close', go);
      earlier.off('finish', go);
      if (earlier.writableFinished && !socket.destroyed) onUpgrade(host, req, socket, head);
      else socket.destroy();
    };
    earlier.once('finish', go);
    earlier.once('close', go);
    return;
  }
  // Node hands an upgrade's body bytes over as `head`, with the connection: neither path
  // below can frame them, and a WebSocket handshake has none (RFC 6455 §4.1).
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    return refuse(host, req, socket, 400, ErrorCodes.BAD_REQUEST, 'upgrade request with a body');
  }
  if (!isWebSocketUpgrade(req)) return servePlain(host, req, socket);
  const start = performance.now();
  host.begin();
  const r = host.resolve(req);
  const id = r.head.requestId;
  const done: TunnelDone = (s, u, sv, e, d) => host.record(req, start, id, s, u, sv, e, d);
  const upstream = r.upstream;
  if (upstream === undefined) return rejectUpgrade(socket, r.status, id, done, undefined, r.code, r.detail);
  const wait = rateWait(req, r.route?.rateLimit, r.head.clientIp);
  if (wait > 0) {
    upstream.rateLimited++;
    return rejectUpgrade(socket, 429, id, done, upstream.name, ErrorCodes.RATE_LIMITED, rateLimitedDetail(wait), `retry-after: ${retryAfterSeconds(wait)}\r\n`);
  }
  const server = upstream.pick(new RequestContext(req, r.path));
  if (server === undefined) {
    return rejectUpgrade(socket, 503, id, (s, u, sv, e) => done(s, u, sv, e, upstream.unavailableDetail()), upstream.name, ErrorCodes.NO_SERVER);
  }
  const t = upstream.config.timeouts;
  const headers = r.head.headers;
  tunnel({ method: req.method!, requestId: id, socket, head, path: r.path, headers, protocol: 'websocket', upstream, server, connectTimeout: t.connect, responseTimeout: t.response, tunnels: host.tunnels, done });
}

export function onConnect(host: UpgradeHost, req: IncomingMessage, socket: Duplex): void {
  refuse(host, req, socket, 405, ErrorCodes.BAD_REQUEST, 'CONNECT is not supported', `allow: ${ALLOWED_METHODS}\r\n`);
}

/** Answers a request Node has handed over with its raw connection, and closes it. */
function refuse(host: UpgradeHost, req: IncomingMessage, socket: Duplex, status: number, code: string, clientDetail: string, extraHead = ''): void {
  const start = performance.now();
  host.begin();
  const id = host.newRequestId();
  const done: TunnelDone = (s, u, sv, e, d) => host.record(req, start, id, s, u, sv, e, d);
  rejectUpgrade(socket, status, id, done, undefined, code, clientDetail, extraHead);
}

/**
 * Serves a request (without a body) whose Upgrade bulwark ignores: Node has detached the
 * connection from its HTTP parser, so the response is written on it directly and the
 * connection closed after it (what the client sent after the head is discarded with it).
 */
function servePlain(host: UpgradeHost, req: IncomingMessage, socket: Duplex): void {
  const res = new ProxyResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => socket.end());
  host.handle(req, res);
}
