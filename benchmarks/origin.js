// Tiny origin server used by the benchmark harness.
//
// Usage: node benchmarks/origin.js [port]      (or PORT=<port>; 0 / unset = any free port)
// Prints "ready <port>" on stdout once listening.
//
// Every request gets the same small 200 response; the connection is kept alive.
// ORIGIN_STATUS=<code> answers that status instead: a run whose targets all relay fast
// 502s, to check that a benchmark gives no verdict on failed responses.
// A request with `x-bench-session: ID` and no JSESSIONID cookie gets `Set-Cookie: JSESSIONID=ID`,
// as an application creating a session does (the sticky learn-mode targets, fleet.js).
import http from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const STATUS = Number(process.env.ORIGIN_STATUS ?? 200);
if (!Number.isInteger(STATUS) || STATUS < 200 || STATUS > 599) {
  console.error(`ORIGIN_STATUS must be an HTTP status from 200 to 599, got "${process.env.ORIGIN_STATUS}"`);
  process.exit(2);
}
const BODY = Buffer.from('hello world\n');

const server = http.createServer((req, res) => {
  // Drain any request body (proxies may send one), then answer.
  req.resume();
  const headers = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': BODY.length,
    'cache-control': 'no-store',
    'x-origin': String(server.address().port),
  };
  const session = req.headers['x-bench-session'];
  if (session !== undefined && !(req.headers.cookie ?? '').includes('JSESSIONID=')) headers['set-cookie'] = `JSESSIONID=${session}; Path=/`;
  res.writeHead(STATUS, headers);
  res.end(BODY);
});

// Keep idle keep-alive sockets open longer than any client/proxy pool would,
// so proxies never race a server-side idle close.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${server.address().port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
