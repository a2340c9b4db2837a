/**
 * @module proxy/proxy-accept
 * A listener with `proxy_protocol: true` (behind another load balancer, like nginx's
 * `listen ... proxy_protocol` or HAProxy's `accept-proxy`): every connection must come
 * from a trusted_proxies address and start with a PROXY protocol header (proxy-protocol.ts);
 * anything else is closed, and reported through `onProxyRefused`. The header is read off
 * the raw socket before the HTTP (or TLS) server sees a byte; its source becomes the
 * connection's peer (client-address.ts), so it flows into X-Forwarded-For, the access log
 * and the rate limiter's ip key.
 *
 * Bytes read past the header (a request, or a TLS ClientHello, sent in the same segment)
 * are handed on: unshifted onto the socket for HTTP/1.1; for TLS and HTTP/2, whose native
 * sessions read the socket's handle directly and would miss them, through a stream that
 * replays them first (see handOver).
 */
import http from 'node:http';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { NO_TRUSTED_PROXIES, linkReplay, peerAddress, setProxySource, type TrustedProxies } from './client-address.js';
import { parseProxyHeader } from './proxy-protocol.js';

/** What the listener asks of the proxy (Proxy implements it). */
export interface ProxyProtocolHost {
  /** The running config's trusted_proxies. */
  readonly trustedProxies?: TrustedProxies;
  /** A connection closed for want of a valid PROXY header, or from an untrusted peer. */
  onProxyRefused?: ((peer: string, reason: string) => void) | undefined;
}

/**
 * Makes `server` (node:http, node:https or node:http2) require a PROXY header on every
 * connection. `timeoutMs()`: how long a connection may take to send it (front.timeouts.headers).
 */
export function acceptProxyProtocol(server: Server, host: ProxyProtocolHost, timeoutMs: () => number): void {
  const serve = server.listeners('connection') as Array<(socket: Duplex) => void>;
  server.removeAllListeners('connection');
  // node:http reads bytes unshifted onto the socket; TLS and HTTP/2 sessions read its handle.
  const replays = !(server instanceof http.Server);
  server.on('connection', (socket: Socket) => {
    const peer = peerAddress(socket);
    const refuse = (reason: string): void => {
      socket.destroy();
      host.onProxyRefused?.(peer, reason);
    };
    if (!(host.trustedProxies ?? NO_TRUSTED_PROXIES).has(peer)) return refuse('PROXY protocol listener: the peer is not in trusted_proxies');
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => done(() => refuse('no complete PROXY protocol header in time')), timeoutMs());
    const done = (then: () => void): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onEnd).off('end', onEnd);
      then();
    };
    const onEnd = (): void => done(() => socket.destroy());
    const onData = (chunk: Buffer): void => {
      // Bounded: parseProxyHeader refuses a header past MAX_V2_LENGTH bytes (v1: 107) as soon as it can tell.
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const r = parseProxyHeader(buf);
      if (r.state === 'more') return;
      if (r.state === 'error') return done(() => refuse(r.reason));
      done(() => {
        if (r.source !== undefined) setProxySource(socket, r.source);
        handOver(server, serve, socket, buf.subarray(r.length), replays);
      });
    };
    socket.on('data', onData).on('error', onEnd).on('end', onEnd);
  });
}

/** Gives the socket, and what was read past the header, to the server's own connection handling. */
function handOver(server: Server, serve: ReadonlyArray<(socket: Duplex) => void>, socket: Socket, rest: Buffer, replays: boolean): void {
  socket.pause();
  if (rest.length === 0 || !replays) {
    if (rest.length > 0) socket.unshift(rest);
    for (const l of serve) l.call(server, socket);
    socket.resume();
    return;
  }
  const replay = replayStream(socket, rest);
  for (const l of serve) l.call(server, replay);
}

/** A stream that yields `first`, then what `socket` reads, and writes to `socket`. */
function replayStream(socket: Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => void socket.end(cb),
    destroy: (err, cb) => {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  d.push(first);
  socket.on('data', (c: Buffer) => void (d.push(c) || socket.pause()));
  socket.on('end', () => d.push(null));
  socket.on('error', (err) => d.destroy(err));
  socket.on('close', () => d.destroy());
  linkReplay(d, socket);
  return d;
}
