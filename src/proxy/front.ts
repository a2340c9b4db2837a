/**
 * @module proxy/front
 * The client-facing listeners: node:http servers with every front timeout and limit set,
 * and the graceful drain used on SIGTERM/SIGINT (stop accepting, let in-flight requests
 * finish within the drain budget, then cut what remains).
 */
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FrontConfig, ListenAddress, Listener } from '../core/config.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { awaitContinue } from './body-limit.js';
import { applyH2, createH2TlsServer, createH2cServer, h2Connect } from './front-h2.js';
import { onH2Limit, type H2LimitHook } from './h2-guard.js';
import { hstsValue, listenerOf, redirectToHttps, redirectUpgrade, setListener } from './front-listener.js';
import { ProxyResponse } from './response-writer.js';
import { TlsContexts } from './tls-context.js';

/** The listeners a front server hands its traffic to (implemented by Proxy). */
export interface FrontHandlers {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  connect(req: http.IncomingMessage, socket: Duplex): void;
  /** Told of each HTTP/2 connection closed for going over a front.h2_* cap (h2-guard.ts). */
  onH2Limit?: H2LimitHook | undefined;
}

/** What a graceful drain reads and sets (implemented by Proxy). */
export interface Drainable {
  /** Set when the drain begins: responses ask clients to close their connections. */
  draining: boolean;
  /** Requests still being handled. */
  readonly inFlight: number;
  /** Upgraded connections, which the http server no longer tracks. */
  readonly tunnels: Iterable<Duplex>;
}

const kRetiring = Symbol('bulwark.retiring');

/**
 * Marks a listener as going away (a reload removed its address): responses to requests
 * that came in on it ask the client to close the connection, so keep-alive clients move
 * to the new address instead of lingering on the old one.
 */
export function markRetiring(server: http.Server): void {
  (server as unknown as Record<symbol, boolean>)[kRetiring] = true;
}

/** Whether the listener this request came in on is going away. */
export function onRetiringListener(req: http.IncomingMessage): boolean {
  // req.socket is null once a request with a body has been read to the end and destroyed.
  return (req.socket as unknown as { server?: Record<symbol, unknown> } | null)?.server?.[kRetiring] === true;
}

/** Node only enforces header/request timeouts when it sweeps connections; sweep often. */
function checkingInterval(front: FrontConfig): number {
  const shortest = Math.min(front.timeouts.headers, front.timeouts.request);
  return Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
}

/**
 * Applies the front settings Node reads per connection or request to a running server
 * (at creation, and on reload).
 */
export function applyFront(server: http.Server, front: FrontConfig): void {
  server.requestTimeout = front.timeouts.request;
  // Node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(front.timeouts.headers, front.timeouts.request);
  server.keepAliveTimeout = front.timeouts.keep_alive;
  // A client may half-close once its request is sent (nc, scripts): by default it is
  // answered, then the connection closes, as HAProxy does without `option abortonclose`.
  // Node's own default aborts the request at the FIN (front.abort_on_close: true).
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = !front.abort_on_close;
  setHandshakeTimeout(server, server.headersTimeout);
  applyH2(server, front);
}

/**
 * A TLS listener's handshake gets the time a request head gets (the head timeout only
 * starts once it is done). node:tls copies the server's `handshakeTimeout` option into a
 * field of its own that each new connection reads, and offers no setter: a reload sets
 * that field. Throws if Node no longer has it (a test covers the reload, so this shows).
 */
function setHandshakeTimeout(server: http.Server, ms: number): void {
  if (!('setSecureContext' in server)) return; // not TLS
  const field = Object.getOwnPropertySymbols(server).find((s) => s.description === 'handshake-timeout');
  if (field === undefined) throw new Error('node:tls has no handshake-timeout field on its servers: cannot apply front.timeouts.headers to handshakes');
  (server as unknown as Record<symbol, number>)[field] = ms;
}

/**
 * What a listener does with a request before the proxy: `redirect_https` answers it, and a
 * TLS listener with `hsts` marks the response (an upstream's own header replaces it).
 */
function listenerHandlers(server: http.Server, proxy: FrontHandlers): FrontHandlers {
  return {
    handle: (req, res) => {
      const l = listenerOf(server);
      if (l?.redirect_https !== undefined) return redirectToHttps(req, res, l.redirect_https);
      if (l?.hsts !== undefined) res.setHeader('strict-transport-security', hstsValue(l.hsts));
      proxy.handle(req, res);
    },
    upgrade: (req, socket, head) => {
      const port = listenerOf(server)?.redirect_https;
      if (port !== undefined) return redirectUpgrade(req, socket, port);
      proxy.upgrade(req, socket, head);
    },
    connect: proxy.connect,
  };
}

/**
 * The server for one listener: node:http, or node:https with the listener's certificates.
 * With `http2`, a node:http2 server instead (front-h2.ts): h2c with prior knowledge on a
 * plain listener; on TLS, ALPN offers h2 and http/1.1 and http/1.1 connections get the
 * same node:http handling (allowHTTP1).
 */
function serverFor(listener: Listener, options: http.ServerOptions, front: FrontConfig): http.Server {
  if (listener.tls === undefined) return listener.http2 ? createH2cServer(front) : http.createServer(options);
  const contexts = new TlsContexts(listener.tls);
  // handshakeTimeout: set by applyFront (setHandshakeTimeout), at creation and on reload.
  const secure = contexts.serverOptions;
  const server = listener.http2 ? createH2TlsServer(options, secure, front) : https.createServer({ ...options, ...secure, ALPNProtocols: ['http/1.1'] });
  contexts.attach(server as unknown as tls.Server);
  return server as unknown as http.Server;
}

/**
 * Prepares a listener's new settings, same kind (certificates, SNI, hsts...); the returned
 * function applies them: new handshakes and requests follow them. Throws, changing nothing,
 * when OpenSSL refuses a context.
 */
export function reconfigure(server: http.Server, listener: Listener): () => void {
  const swap = listener.tls === undefined ? undefined : TlsContexts.of(server as unknown as tls.Server)?.prepare(listener.tls);
  return () => {
    swap?.();
    setListener(server, listener);
  };
}

export function createFrontServer(listener: Listener, front: FrontConfig, proxy: FrontHandlers): http.Server {
  const server = serverFor(listener, {
    // Node requires headersTimeout <= requestTimeout.
    headersTimeout: Math.min(front.timeouts.headers, front.timeouts.request),
    requestTimeout: front.timeouts.request,
    keepAliveTimeout: front.timeouts.keep_alive,
    connectionsCheckingInterval: checkingInterval(front),
    // Over this, Node answers 431 Request Header Fields Too Large itself.
    maxHeaderSize: front.max_header_size,
    ServerResponse: ProxyResponse as unknown as typeof http.ServerResponse,
  }, front);
  setListener(server, listener);
  onH2Limit(server, (peer, limit) => proxy.onH2Limit?.(peer, limit));
  const handlers = listenerHandlers(server, proxy);
  server.on('request', handlers.handle);
  // Expect: 100-continue (RFC 9110 §10.1.1). bulwark answers it itself once the request is
  // admitted (body-limit.ts): a body its route refuses is refused before the client sends
  // it; otherwise 100 goes out at once, so nothing stalls waiting for an upstream that never
  // sees the Expect header. A redirect listener never admits a body.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (listenerOf(server)?.redirect_https === undefined) awaitContinue(res);
    handlers.handle(req, res);
  });
  server.on('upgrade', handlers.upgrade);
  server.on('connect', listener.http2 ? h2Connect(handlers.handle, handlers.connect) : handlers.connect);
  applyFront(server, front);
  // Node keeps only the first maxHeadersCount fields (2000 by default) and drops the rest
  // without a word; let them all through so front.max_headers can count them (431). The
  // head's size is capped by max_header_size anyway.
  server.maxHeadersCount = 0;
  return server;
}

export function listen(server: http.Server, addr: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new BulwarkError(ErrorCodes.LISTEN, `cannot listen on ${addr.host}:${addr.port}: ${err.code ?? err.message}`, 500, { cause: err }));
    };
    server.once('error', onError);
    server.listen(addr.port, addr.host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Graceful drain: stops accepting on every server, closes idle keep-alive connections
 * (repeatedly, as in-flight responses finish), and waits for `proxy.inFlight` to reach 0.
 * After `timeoutMs` the remaining connections are destroyed.
 * @returns true when every in-flight request finished within the budget.
 */
export async function drain(servers: readonly http.Server[], proxy: Drainable, timeoutMs: number): Promise<boolean> {
  proxy.draining = true;
  const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
  const deadline = Date.now() + timeoutMs;
  let clean = true;
  for (;;) {
    for (const s of servers) s.closeIdleConnections();
    if (proxy.inFlight === 0) break;
    if (Date.now() >= deadline) {
      clean = false;
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const s of servers) s.closeAllConnections();
  // Upgraded connections (WebSocket tunnels) are not the http server's any more.
  for (const t of proxy.tunnels) t.destroy();
  await Promise.all(closed);
  return clean;
}
