// The "floor" for a Node proxy: a bare node:http server that forwards each
// request through an undici Pool (one per origin, round-robin) and pipes the
// response body back. No logging, no health checks, no header rewriting
// beyond dropping hop-by-hop headers (which undici refuses anyway).
//
// Usage: node benchmarks/undici-floor.js <listenPort> <originPort> [<originPort>...]
//   (or LISTEN_PORT=<p> ORIGIN_PORTS=<p1,p2,...>; listen port 0 = any free port)
// Prints "ready <port>" on stdout once listening.
import http from 'node:http';
import { Pool } from 'undici';

const [listenArg, ...originArgs] = process.argv.slice(2);
const listenPort = Number(listenArg ?? process.env.LISTEN_PORT ?? 0);
const originPorts = originArgs.length ? originArgs : (process.env.ORIGIN_PORTS ?? '').split(',').filter(Boolean);
if (originPorts.length === 0) {
  console.error('usage: undici-floor.js <listenPort> <originPort>...');
  process.exit(2);
}
// Same socket cap per origin as the http-proxy baseline's agent.
const pools = originPorts.map((p) => new Pool(`http://127.0.0.1:${Number(p)}`, { connections: 128 }));

// Hop-by-hop headers must not be forwarded (RFC 9110 §7.6.1).
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
function strip(headers) {
  const out = {};
  for (const k in headers) if (!HOP.has(k)) out[k] = headers[k];
  return out;
}

let next = 0;
const server = http.createServer((req, res) => {
  const pool = pools[next];
  next = (next + 1) % pools.length;
  // Only stream a request body when there is one; a GET with a stream body
  // would otherwise go out chunked.
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.request({ path: req.url, method: req.method, headers: strip(req.headers), body: hasBody ? req : undefined }).then(
    ({ statusCode, headers, body }) => {
      res.writeHead(statusCode, strip(headers));
      // Plain pipe() with manual error wiring: stream.pipeline() allocates an
      // AbortController (and a DOMException on finish) per request, which
      // shows up as several % of CPU at this request rate.
      body.on('error', () => res.destroy());
      res.on('close', () => body.destroy());
      body.pipe(res);
    },
    () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  );
});
server.keepAliveTimeout = 65_000;

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`ready ${server.address().port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0)).closeAllConnections();
  for (const p of pools) p.destroy();
});
