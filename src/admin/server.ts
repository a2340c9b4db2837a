/**
 * @module admin/server
 * The admin listener (127.0.0.1:9901 by default). It is a separate node:http server from
 * the proxy listener, so nothing here is ever reachable through the proxy.
 * Read-only endpoints answer GET (and HEAD); endpoints that change anything answer POST
 * only. A wrong method gets 405 with an Allow header and changes nothing. Every request
 * passes the guard first (admin/guard: one Host, Origin and Authorization each, a target
 * naming this listener, the Host/Origin check and, when configured, the token).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AdminActions } from './actions.js';
import { DashboardFeed } from './dashboard/feed.js';
import { DASHBOARD } from './dashboard/page.js';
import { checkUpgrade, refuseUpgrade } from './dashboard/upgrade.js';
import { checkRequest } from './guard.js';
import { readJson, readText, result, send, streamOut } from './http-io.js';
import { buildStatus, findServer, whenFresh, type RuntimeView } from './status.js';

export interface AdminOptions {
  readonly view: RuntimeView;
  readonly actions: AdminActions;
  /** The admin token (from admin.token_env), or undefined when none is required. */
  readonly token: string | undefined;
  /** The bound address, for the Host guard (known once listening). */
  readonly address: () => AddressInfo | undefined;
  /** The Prometheus registry /metrics exposes (admin/metrics). */
  readonly metrics: { readonly contentType: string; metrics(): Promise<string> };
  /** Epoch milliseconds (the App's clock), for the dashboard's rates. */
  readonly now: () => number;
  /** An upstream's request-duration bucket counts since start (core/latency), for the dashboard's p99. */
  readonly latency: (upstream: string) => readonly number[] | undefined;
}

/** Session imports carry whole tables (100k entries is ~10 MB). */
const MAX_IMPORT = 256 * 1024 * 1024;
/** A pushed fleet config: the largest config file read (config/load MAX_CONFIG_BYTES, 1 MiB). */
const MAX_CONFIG_BODY = 1024 * 1024;

const SERVER_INFO = /^\/servers\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
const SERVER_PATH = /^\/servers\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/(drain|disable|enable|weight)$/;

/** The dashboard page needs no token (it holds no data); it still passes the Host/Origin rules. */
function isPage(req: http.IncomingMessage, bound: AddressInfo): boolean {
  const checked = checkRequest(req, bound, undefined);
  return checked.status === 200 && checked.target.split('?')[0] === '/' && (req.method === 'GET' || req.method === 'HEAD');
}

/**
 * An http.Server whose close() also disconnects the dashboard's WebSockets: an upgraded
 * socket is no longer an HTTP connection, so close() would otherwise wait for every page
 * to go away and closeAllConnections() would not end them.
 */
class AdminServer extends http.Server {
  feed: DashboardFeed | undefined;
  override close(callback?: (err?: Error) => void): this {
    this.feed?.close();
    return super.close(callback);
  }
}

export function createAdminServer(opts: AdminOptions): http.Server {
  const { view, actions } = opts;
  const server = new AdminServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const bound = opts.address();
    // Not yet knowing its own address, the listener cannot check Host: it answers nothing.
    if (bound === undefined) return send(res, 503, '503 Service Unavailable: the admin listener is starting\n');
    if (isPage(req, bound)) {
      res.writeHead(200, { ...DASHBOARD.headers, 'content-length': Buffer.byteLength(DASHBOARD.html), 'cache-control': 'no-store' });
      return void res.end(req.method === 'HEAD' ? undefined : DASHBOARD.html);
    }
    const checked = checkRequest(req, bound, opts.token);
    if (checked.status !== 200) {
      const extra: Record<string, string> = checked.status === 401 ? { 'www-authenticate': 'Bearer realm="bulwark-admin"' } : {};
      // An ambiguous request may have been framed differently by whoever sent it: don't reuse the connection.
      if (checked.status === 400 || checked.status >= 500) extra['connection'] = 'close';
      return send(res, checked.status, `${checked.status} ${http.STATUS_CODES[checked.status]}: ${checked.message}\n`, extra);
    }
    const target = checked.target;
    const path = target.split('?')[0]!;
    const method = req.method ?? 'GET';
    const wrongMethod = (allow: string): void => send(res, 405, `405 Method Not Allowed: ${path} accepts ${allow}\n`, { allow });

    if (path === '/healthz' || path === '/status') {
      if (method !== 'GET' && method !== 'HEAD') return wrongMethod('GET, HEAD');
      return path === '/healthz' ? send(res, 200, 'ok\n') : whenFresh(view, () => send(res, 200, buildStatus(view)));
    }
    if (path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') return wrongMethod('GET, HEAD');
      return whenFresh(view, () =>
        void opts.metrics.metrics().then(
          (text) => send(res, 200, text, { 'content-type': opts.metrics.contentType }),
          (err: Error) => send(res, 500, `500 Internal Server Error: metrics failed: ${err.message}\n`),
        ),
      );
    }
    if (path === '/reload') {
      if (method !== 'POST') return wrongMethod('POST');
      void actions.reload().then((r) => result(res, r));
      return;
    }
    if (path === '/config') {
      if (method !== 'GET' && method !== 'HEAD') return wrongMethod('GET, HEAD');
      return send(res, 200, actions.config());
    }
    if (path === '/sessions/export') {
      if (method !== 'GET' && method !== 'HEAD') return wrongMethod('GET, HEAD');
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      if (method === 'HEAD') return void res.end();
      void streamOut(res, actions.exportSessions());
      return;
    }
    if (path === '/sessions/import') {
      if (method !== 'POST') return wrongMethod('POST');
      const mode = new URL(target, 'http://admin').searchParams.get('mode') ?? 'merge';
      if (mode !== 'merge' && mode !== 'replace') return send(res, 400, { error: 'mode must be merge or replace' });
      readText(req, MAX_IMPORT).then(
        async (text) => result(res, await actions.importSessions(text, mode)),
        (err: Error) => send(res, 413, { error: err.message }),
      );
      return;
    }
    if (path === '/fleet/snapshot') {
      if (method !== 'GET') return wrongMethod('GET');
      void actions.fleetSnapshot().then((r) => result(res, r));
      return;
    }
    if (path === '/fleet/config') {
      if (method !== 'POST') return wrongMethod('POST');
      // ?file=NAME (bulwark fleet push sends the file's name) names the text in the issues.
      const label = (new URL(target, 'http://admin').searchParams.get('file') ?? '').slice(0, 200) || 'pushed config';
      readText(req, MAX_CONFIG_BODY).then(
        async (text) => result(res, await actions.fleetConfig(text, label)),
        (err: Error) => send(res, 413, { error: `${err.message} (the config size limit)` }),
      );
      return;
    }
    if (path === '/backup/report') {
      if (method !== 'POST') return wrongMethod('POST');
      readJson(req).then(
        (body) => result(res, actions.backupReport(body)),
        (err: Error) => send(res, 400, { error: err.message }),
      );
      return;
    }
    const info = SERVER_INFO.exec(path);
    if (info !== null) {
      if (method !== 'GET' && method !== 'HEAD') return wrongMethod('GET, HEAD');
      return whenFresh(view, () => {
        const found = findServer(view, info[1]!, info[2]!);
        if ('entry' in found) send(res, 200, found.entry);
        else send(res, 404, found);
      });
    }
    const m = SERVER_PATH.exec(path);
    if (m !== null) {
      if (method !== 'POST') return wrongMethod('POST');
      const [, upstream, server, action] = m as unknown as [string, string, string, 'drain' | 'disable' | 'enable' | 'weight'];
      if (action !== 'weight') return result(res, actions.server(upstream, server, action));
      readJson(req).then(
        (body) => result(res, actions.weight(upstream, server, (body as { weight?: unknown } | undefined)?.weight)),
        (err: Error) => send(res, 400, { error: err.message }),
      );
      return;
    }
    send(res, 404, `404 Not Found: no admin endpoint ${path}\n`);
  });
  const feed = (server.feed = new DashboardFeed({ view, now: opts.now, latency: opts.latency }));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const bound = opts.address();
    if (bound === undefined) return refuseUpgrade(socket, 503, 'the admin listener is starting');
    const checked = checkUpgrade(req, bound, opts.token);
    if (checked.status !== 200) return refuseUpgrade(socket, checked.status, checked.message);
    feed.accept(req, socket, head);
  });
  // Node closes a CONNECT without a word when nobody listens for it; say why instead.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  return server;
}
