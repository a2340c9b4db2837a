// Baseline peer: node-http-proxy (the `http-proxy` package) doing round-robin
// over the origins with a keep-alive agent. No other features.
//
// Usage: node benchmarks/http-proxy.js <listenPort> <originPort> [<originPort>...]
//   (or LISTEN_PORT=<p> ORIGIN_PORTS=<p1,p2,...>; listen port 0 = any free port)
// Prints "ready <port>" on stdout once listening.
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listenArg, ...originArgs] = process.argv.slice(2);
const listenPort = Number(listenArg ?? process.env.LISTEN_PORT ?? 0);
const originPorts = originArgs.length ? originArgs : (process.env.ORIGIN_PORTS ?? '').split(',').filter(Boolean);
if (originPorts.length === 0) {
  console.error('usage: http-proxy.js <listenPort> <originPort>...');
  process.exit(2);
}
const targets = originPorts.map((p) => `http://127.0.0.1:${Number(p)}`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ agent });
proxy.on('error', (err, req, res) => {
  // Upstream failure: answer 502 if we still can.
  if (res && !res.headersSent && typeof res.writeHead === 'function') res.writeHead(502);
  if (res && typeof res.end === 'function') res.end();
});

let next = 0;
const server = http.createServer((req, res) => {
  const target = targets[next];
  next = (next + 1) % targets.length;
  proxy.web(req, res, { target });
});
server.keepAliveTimeout = 65_000;

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`ready ${server.address().port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0)).closeAllConnections();
  agent.destroy();
});
