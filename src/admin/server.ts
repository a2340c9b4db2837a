/**
 * @module admin/server
 * The admin listener (127.0.0.1:9901 by default). It is a separate node:http server from
 * the proxy listener, so nothing here is ever reachable through the proxy.
 * Read-only endpoints are GET (HEAD too); a wrong method gets 405 with an Allow header.
 */
import http from 'node:http';
import { buildStatus, type RuntimeView } from './status.js';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function text(res: http.ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

export function createAdminServer(view: RuntimeView): http.Server {
  const gets = new Map<string, Route>([
    ['/healthz', (_req, res) => text(res, 200, 'ok\n')],
    ['/status', (_req, res) => json(res, 200, buildStatus(view))],
  ]);
  return http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = gets.get(path);
    if (route === undefined) return text(res, 404, `404 Not Found: no admin endpoint ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return text(res, 405, `405 Method Not Allowed: ${path} accepts GET\n`, { allow: 'GET, HEAD' });
    }
    route(req, res);
  });
}
