/**
 * @module proxy/upgrade
 * Protocol upgrades (WebSocket, RFC 6455 §4; HTTP/1.1 Upgrade, RFC 9110 §7.8). After a 101
 * the connection is no longer HTTP, so it cannot live in an undici pool: each upgrade
 * gets its own connection to the chosen server, the (hop-by-hop-cleaned) request head is
 * written with `Connection: upgrade` restored, and bytes are piped both ways. The server's
 * answer, 101 or not, is relayed byte for byte. The server counts one active request for
 * as long as the tunnel is open, so least-connections sees long-lived sockets.
 */
import net from 'node:net';
import tls from 'node:tls';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes, upstreamStatus } from '../core/errors.js';
import type { Server } from '../core/server.js';

export type TunnelDone = (status: number, upstream: string | undefined, server: string | undefined, error: string) => void;

export interface TunnelOptions {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly path: string;
  /** Flat [name, value, ...] request fields, hop-by-hop already removed. */
  readonly headers: readonly string[];
  readonly server: Server;
  readonly connectTimeout: number;
  /** The registry of open tunnels (for drain); the socket is added and removed here. */
  readonly tunnels: Set<Duplex>;
  readonly done: TunnelDone;
}

/** Answers an upgrade request with a plain-text error and closes the client connection. */
export function rejectUpgrade(socket: Duplex, status: number, id: string, detail: string, done: TunnelDone, upstream?: string): void {
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${detail}\nrequest id: ${id}\n`;
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
  );
  done(status, upstream, undefined, '');
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

export function tunnel(o: TunnelOptions): void {
  const { socket, server } = o;
  const url = new URL(server.origin);
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const up: net.Socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
  server.activeRequests++;
  o.tunnels.add(socket);
  let status = 0;
  let finished = false;
  const finish = (error: string): void => {
    if (finished) return;
    finished = true;
    server.activeRequests--;
    o.tunnels.delete(socket);
    o.done(status, server.upstream, server.name, error);
  };

  up.setTimeout(o.connectTimeout, () => up.destroy(Object.assign(new Error('upgrade connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
  up.once(secure ? 'secureConnect' : 'connect', () => {
    up.setTimeout(0);
    const lines = [`${o.req.method} ${o.path} HTTP/1.1`];
    for (let i = 0; i < o.headers.length; i += 2) lines.push(`${o.headers[i]}: ${o.headers[i + 1]}`);
    lines.push('connection: upgrade', `upgrade: ${o.req.headers.upgrade ?? ''}`, '', '');
    up.write(lines.join('\r\n'));
    if (o.head.length > 0) up.write(o.head);
    socket.pipe(up);
  });
  up.once('data', (chunk: Buffer) => {
    status = Number(STATUS_LINE.exec(chunk.toString('latin1', 0, 16))?.[1] ?? 0);
  });
  up.pipe(socket);
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (status === 0 && !socket.destroyed) {
      const code = upstreamStatus(err);
      status = code;
      rejectUpgrade(socket, code, o.requestId, `upstream ${server.name}: ${err.code ?? err.message}`, () => {});
      finish(err.code ?? 'ERROR');
    } else {
      socket.destroy();
      finish(err.code ?? 'ERROR');
    }
  });
  up.on('close', () => {
    socket.destroy();
    finish('');
  });
  socket.on('error', () => up.destroy());
  socket.on('close', () => {
    up.destroy();
    if (status === 0) finish(ErrorCodes.CLIENT_ABORTED);
    else finish('');
  });
}
