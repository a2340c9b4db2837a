/**
 * @module proxy/upstream-private
 * Upstream connections for an upstream with `proxy_protocol: v1 | v2`. A PROXY header
 * describes one client connection, so a connection that sent one can carry only that
 * client's requests: each client connection gets its own undici Client per server it
 * reaches (HAProxy marks such connections private), whose connector writes the header
 * before anything else. It is closed when the client connection closes. The cost: no
 * reuse across clients, so one upstream connection (and TCP handshake) per client
 * connection and server, and the upstream's `connections` cap does not bound them.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { Client, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../core/config.js';
import type { Server } from '../core/server.js';
import { localEndpoint, peerEndpoint } from './client-address.js';
import { buildProxyHeader, headedSocket } from './proxy-protocol.js';

/** What a client connection is known by: its socket, or for HTTP/2 its session. */
function connectionOf(req: IncomingMessage): EventEmitter {
  const stream = (req as IncomingMessage & { stream?: { session?: EventEmitter } }).stream;
  return req.httpVersionMajor === 2 && stream?.session !== undefined ? stream.session : req.socket;
}

/** The header naming the client connection `socket` (its peer, and the listener address it reached). */
export function clientProxyHeader(version: 'v1' | 'v2', socket: Socket): Buffer {
  return buildProxyHeader(version, { source: peerEndpoint(socket), destination: localEndpoint(socket) });
}

export class PrivateConnections {
  readonly #config: UpstreamConfig;
  readonly #version: 'v1' | 'v2';
  readonly #byConnection = new WeakMap<EventEmitter, Map<Server, Client>>();
  /** Every Client still open, for close(). */
  readonly #open = new Set<Client>();

  constructor(config: UpstreamConfig, version: 'v1' | 'v2') {
    this.#config = config;
    this.#version = version;
  }

  /** The Client for `req`'s client connection and `server`, made on first use. */
  for(server: Server, req: IncomingMessage): Dispatcher {
    const conn = connectionOf(req);
    let clients = this.#byConnection.get(conn);
    if (clients === undefined) {
      const mine = (clients = new Map());
      this.#byConnection.set(conn, mine);
      conn.once('close', () => {
        for (const c of mine.values()) this.#close(c);
        mine.clear();
      });
    }
    let client = clients.get(server);
    if (client === undefined) {
      client = this.#client(server, req);
      clients.set(server, client);
      this.#open.add(client);
    }
    return client;
  }

  #client(server: Server, req: IncomingMessage): Client {
    const t = this.#config.timeouts;
    const header = clientProxyHeader(this.#version, req.socket);
    return new Client(server.origin, {
      keepAliveTimeout: this.#config.keep_alive,
      keepAliveMaxTimeout: this.#config.keep_alive,
      headersTimeout: t.response,
      bodyTimeout: t.idle,
      connect: (opts, callback) => {
        const socket = headedSocket(opts.hostname, Number(opts.port) || 80, header);
        const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), t.connect);
        socket.once('connect', () => {
          clearTimeout(timer);
          callback(null, socket);
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          callback(err, null);
        });
      },
    });
  }

  #close(c: Client): void {
    this.#open.delete(c);
    c.close().catch(() => undefined);
  }

  /** Closes every Client gracefully (their in-flight requests complete first). */
  async close(): Promise<void> {
    await Promise.all([...this.#open].map((c) => c.close().catch(() => undefined)));
    this.#open.clear();
  }
}
