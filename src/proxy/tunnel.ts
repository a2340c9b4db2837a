/**
 * @module proxy/tunnel
 * WebSocket tunnels (RFC 6455 §4, RFC 9110 §7.8). After a 101 the connection is no
 * longer HTTP, so it cannot live in an undici pool: each upgrade gets a connection of its
 * own to the chosen server, which is never reused for anything else.
 *
 * Security contract: a tunnel opens only on a `101` whose `Upgrade` names the protocol
 * the client asked for. Until then nothing the client sends after its request head
 * reaches the server: otherwise a client could pipeline `GET /internal` behind an upgrade
 * the server refuses, and the server would read it as a second request that no route
 * allowed. Any other answer (426, 403, 200, a 101 for another protocol) goes back as an
 * ordinary response with `Connection: close`, and both connections are closed after it.
 * A tunnel is an attempt like any other for its upstream: it starts and ends through the
 * upstream's attempt hooks, so the server counts one active request while the tunnel is
 * open (least-connections sees long-lived sockets), outlier detection and the breaker see
 * a failed upgrade, and a closing tunnel frees a place for a queued request.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '../core/errors.js';
import { responseOutcome, type AttemptOutcome } from '../core/outcome.js';
import { CANCELLED, describeUpstreamError, upstreamFailure } from '../core/upstream-failure.js';
import { tlsClientOptions } from '../core/upstream-tls.js';
import type { Server } from '../core/server.js';
import { forwardResponseHeaders } from './headers.js';
import { errorBody } from './respond.js';
import { headedSocket } from './proxy-protocol.js';
import { clientProxyHeader } from './upstream-private.js';
import type { UpstreamRuntime } from './upstream.js';

export type TunnelDone = (status: number, upstream: string | undefined, server: string | undefined, error: string, detail?: string) => void;

export interface TunnelOptions {
  readonly method: string;
  readonly requestId: string;
  readonly socket: Duplex;
  /** Bytes the client sent after its request head (held back until the 101). */
  readonly head: Buffer;
  readonly path: string;
  /** Flat [name, value, ...] request fields, hop-by-hop already removed. */
  readonly headers: readonly string[];
  /** The protocol asked for, lower-case ("websocket"). */
  readonly protocol: string;
  readonly upstream: UpstreamRuntime;
  readonly server: Server;
  readonly connectTimeout: number;
  /** How long the server may take to answer the upgrade request. */
  readonly responseTimeout: number;
  /** The registry of open tunnels (for drain); the socket is added and removed here. */
  readonly tunnels: Set<Duplex>;
  readonly done: TunnelDone;
}

/**
 * Answers an upgrade (or CONNECT) request with an error and closes the client connection.
 * @param clientDetail what was wrong with the client's request (4xx only; see respond.ts).
 * @param extraHead more header lines, each ending in CRLF.
 */
export function rejectUpgrade(socket: Duplex, status: number, id: string, done: TunnelDone, upstream?: string, error = '', clientDetail = '', extraHead = ''): void {
  const body = errorBody(status, id, status < 500 ? clientDetail : '');
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n${extraHead}` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
  );
  done(status, upstream, undefined, error, clientDetail);
}

/** The response head for the client: the server's fields, hop-by-hop removed, then `extra`. */
function responseHead(res: http.IncomingMessage, id: string, extra: string[]): string {
  const raw = res.rawHeaders.map((s) => Buffer.from(s, 'latin1'));
  const fields = forwardResponseHeaders(raw, id);
  fields.push(...extra);
  const lines = [`HTTP/1.1 ${res.statusCode} ${http.STATUS_CODES[res.statusCode!] ?? 'Unknown'}`];
  for (let i = 0; i < fields.length; i += 2) lines.push(`${fields[i]}: ${fields[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Whether an Upgrade value names exactly `protocol` (RFC 9110 §7.8: case-insensitive). */
function names(value: string | undefined, protocol: string): boolean {
  return value !== undefined && value.trim().toLowerCase() === protocol;
}

export function tunnel(o: TunnelOptions): void {
  const { socket, server } = o;
  const url = new URL(server.origin);
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (secure ? 443 : 80);
  const pp = o.upstream.config.proxy_protocol;
  const upReq = (secure ? https : http).request({
    host,
    port,
    ...(secure ? tlsClientOptions(o.upstream.config.tls, server.origin) : {}),
    method: o.method,
    path: o.path,
    headers: [...o.headers, 'connection', 'upgrade', 'upgrade', o.protocol],
    agent: false,
    setHost: false,
    // proxy_protocol (http:// servers only): the header names this client connection. Node
    // uses createConnection only without an agent (still a connection of its own).
    ...(pp === undefined || secure ? {} : { agent: undefined, createConnection: () => headedSocket(host, port, clientProxyHeader(pp, socket as net.Socket)) }),
  });
  o.upstream.attemptStart(server);
  o.tunnels.add(socket);
  let status = 0;
  let open = false;
  let finished = false;
  const finish = (outcome: AttemptOutcome, error: string, detail = ''): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    o.tunnels.delete(socket);
    if (open) server.tunnels--;
    o.upstream.attemptEnd(server, outcome);
    o.done(status, server.upstream, server.name, error, detail);
  };
  const fail = (err: NodeJS.ErrnoException): void => {
    upReq.destroy();
    if (finished) return;
    const f = upstreamFailure(err);
    if (status === 0 && !socket.destroyed) {
      status = f.status;
      rejectUpgrade(socket, status, o.requestId, () => {});
    } else socket.destroy();
    finish(f.outcome, f.code, `upstream ${server.name}: ${describeUpstreamError(err)}`);
  };
  const timeout = (what: string, code: string): NodeJS.Timeout =>
    setTimeout(() => fail(Object.assign(new Error(`upgrade ${what} timeout`), { code })), what === 'connect' ? o.connectTimeout : o.responseTimeout);
  let timer = timeout('connect', 'UND_ERR_CONNECT_TIMEOUT');
  upReq.once('socket', (s: net.Socket) =>
    s.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      if (!finished) timer = timeout('response', 'UND_ERR_HEADERS_TIMEOUT');
    }),
  );
  upReq.on('error', fail);

  // Node's client emits 'upgrade' only for a 101 that carries Upgrade; the protocol is ours to check.
  upReq.on('upgrade', (res: http.IncomingMessage, up: net.Socket, upHead: Buffer) => {
    clearTimeout(timer);
    if (finished || socket.destroyed) return void up.destroy();
    if (!names(res.headers.upgrade, o.protocol)) {
      up.destroy();
      return fail(Object.assign(new Error('101 for another protocol'), { code: 'UND_ERR_INFO' }));
    }
    status = 101;
    open = true;
    server.tunnels++;
    up.on('error', () => socket.destroy());
    up.on('close', () => socket.destroy());
    socket.on('close', () => up.destroy());
    socket.write(responseHead(res, o.requestId, ['connection', 'upgrade', 'upgrade', o.protocol]));
    if (upHead.length > 0) socket.write(upHead);
    if (o.head.length > 0) up.write(o.head);
    up.pipe(socket);
    socket.pipe(up);
  });

  // Anything but a 101: an ordinary response, after which both connections close.
  upReq.on('response', (res: http.IncomingMessage) => {
    clearTimeout(timer);
    if (finished || socket.destroyed) return void upReq.destroy();
    if (res.statusCode! < 200) return fail(Object.assign(new Error('101 without Upgrade'), { code: 'UND_ERR_INFO' }));
    status = res.statusCode!;
    socket.write(responseHead(res, o.requestId, ['connection', 'close']));
    res.on('data', (c: Buffer) => {
      if (!socket.write(c)) res.pause();
    });
    socket.on('drain', () => res.resume());
    res.on('end', () => {
      socket.end();
      upReq.destroy();
      finish(responseOutcome(status), '');
    });
    res.on('error', fail);
  });

  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    if (finished) return;
    upReq.destroy();
    if (open) finish(responseOutcome(101), '');
    else finish(CANCELLED, ErrorCodes.CLIENT_ABORTED);
  });
  // The client's early bytes stay in `o.head` (and unread in the socket) until the 101.
  upReq.end();
}
