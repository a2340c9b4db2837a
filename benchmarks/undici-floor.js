// The "floor" for a Node proxy: a bare node:http server that forwards each request
// through an undici Pool (one per origin, round-robin) with Pool.dispatch and a raw
// handler, undici's lowest-level API: no promise, no body stream object, no header
// object. No logging, no health checks, no header rewriting beyond dropping hop-by-hop
// headers (RFC 9110 §7.6.1; undici refuses some of them anyway). Bodies stream both ways
// with backpressure. Whatever a proxy does beyond this costs CPU above this floor.
//
// With FORWARDED=1 (the opt-in `undici-fwd` target) it also sets the request fields
// bulwark's issue requires of any proxy: X-Forwarded-For (appended), X-Forwarded-Proto,
// X-Forwarded-Host and X-Request-Id (the client's, or a new UUID). They cost the proxy
// and, as four more header lines to parse, the origins: that target's distance from
// `undici` is what those fields cost on their own, whoever sets them.
//
// With ACCESS_LOG=<file> as well (the opt-in `undici-fwd-log` target) it also writes one
// access line per request to that file, with bulwark's own line writer and line format
// (from dist/, so build first). It still leaves out per-request work bulwark must do: it
// drops only the fixed hop-by-hop names, not the fields a Connection header names (RFC 9110
// §7.6.1); it sets no X-Request-Id on the response; it does not validate Host. bulwark's
// distance from it is those three plus routing, scheduling, the fault-tolerance
// bookkeeping and the request checks.
//
// With TLS_CERT=<file> TLS_KEY=<file> (the opt-in `undici-tls` target) it listens with
// node:https and that certificate, ALPN http/1.1, Node's defaults otherwise (session
// tickets on): the floor of what Node's TLS costs, for `bulwark-tls` to be compared with.
//
// Usage: node benchmarks/undici-floor.js <listenPort> <originPort> [<originPort>...]
//   (or LISTEN_PORT=<p> ORIGIN_PORTS=<p1,p2,...>; listen port 0 = any free port)
// Prints "ready <port>" on stdout once listening.
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
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

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']);
const FORWARDED = process.env.FORWARDED === '1';
/** Fields the FORWARDED variant sets itself (client-sent values are replaced or appended to). */
const OWN = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);

/** The ACCESS_LOG variant's sink: bulwark's access line, through bulwark's batching writer. */
let logAccess = null;
if (process.env.ACCESS_LOG) {
  const { LineWriter } = await import('../dist/log/line-writer.js');
  const { accessSink } = await import('../dist/log/index.js');
  const writer = new LineWriter({ fd: fs.openSync(process.env.ACCESS_LOG, 'w') });
  logAccess = accessSink(writer, writer);
  process.on('SIGTERM', () => writer.flushSync());
}

/** undici's raw dispatch handler: relays the response into the node:http response. */
class Relay {
  constructor(res) {
    this.res = res;
    this.resume = null;
  }
  onConnect() {}
  onHeaders(status, raw, resume) {
    if (status < 200) return true;
    this.resume = resume;
    const head = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      if (!HOP.has(name)) head.push(name, raw[i + 1].toString('latin1'));
    }
    this.res.writeHead(status, head);
    return true;
  }
  onData(chunk) {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume); // paused until the client catches up
    return false;
  }
  onComplete() {
    this.res.end();
  }
  onError() {
    if (!this.res.headersSent) this.res.writeHead(502).end();
    else this.res.destroy();
  }
}

/** The ACCESS_LOG variant's handler: the same relay, plus the access line when it ends. */
class LoggedRelay extends Relay {
  constructor(res, req, id, server, start, host) {
    super(res);
    this.req = req;
    this.id = id;
    this.server = server;
    this.start = start;
    this.host = host;
  }
  onComplete() {
    super.onComplete();
    this.log('');
  }
  onError(err) {
    super.onError(err);
    this.log(err.code ?? 'error');
  }
  log(error) {
    // The connection's bytes since its last logged request, as bulwark's proxy/connection.ts counts them.
    const sock = this.req.socket;
    const read = sock.bytesRead;
    const written = sock.bytesWritten;
    const bytesIn = read - (sock.loggedRead ?? 0);
    const bytesOut = written - (sock.loggedWritten ?? 0);
    sock.loggedRead = read;
    sock.loggedWritten = written;
    logAccess({
      time: Math.round(performance.timeOrigin + this.start),
      method: this.req.method,
      path: this.req.url,
      protocol: this.req.httpVersionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
      status: this.res.statusCode,
      upstream: 'bench',
      server: this.server,
      duration_ms: Math.round((performance.now() - this.start) * 1000) / 1000,
      request_id: this.id,
      error,
      detail: '',
      client: sock.remoteAddress ?? '',
      host: this.host,
      bytes_in: bytesIn,
      bytes_out: bytesOut,
      attempts: 1,
      steer: '',
    });
  }
}
const serverNames = originPorts.map((p) => `127.0.0.1:${Number(p)}`);

let next = 0;
const TLS = process.env.TLS_CERT ? { cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY), ALPNProtocols: ['http/1.1'] } : null;
const onRequest = (req, res) => {
  const start = logAccess === null ? 0 : performance.now();
  const n = next;
  const pool = pools[n];
  next = (n + 1) % pools.length;
  const raw = req.rawHeaders;
  const headers = [];
  let hasBody = false;
  let host = '';
  let xff = '';
  let id = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding') hasBody = true;
    if (FORWARDED) {
      if (OWN.has(name)) {
        if (name === 'x-forwarded-for') xff = xff === '' ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
        else if (name === 'x-request-id' && id === '') id = raw[i + 1];
        continue;
      }
      if (name === 'host') host = raw[i + 1];
    }
    if (!HOP.has(name)) headers.push(raw[i], raw[i + 1]);
  }
  if (FORWARDED) {
    const addr = req.socket.remoteAddress ?? '';
    headers.push('x-forwarded-for', xff === '' ? addr : `${xff}, ${addr}`, 'x-forwarded-proto', 'http');
    if (host !== '') headers.push('x-forwarded-host', host);
    if (id === '') id = randomUUID();
    headers.push('x-request-id', id);
  }
  const handler = logAccess === null ? new Relay(res) : new LoggedRelay(res, req, id, serverNames[n], start, host);
  // Only stream a request body when there is one; a GET with a stream body would go out chunked.
  pool.dispatch({ path: req.url, method: req.method, headers, body: hasBody ? req : null }, handler);
};
const server = TLS === null ? http.createServer(onRequest) : https.createServer(TLS, onRequest);
server.keepAliveTimeout = 65_000;

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`ready ${server.address().port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0)).closeAllConnections();
  for (const p of pools) p.destroy();
});
