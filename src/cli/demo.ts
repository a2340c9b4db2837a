/**
 * @module cli/demo
 * `npm run demo`: four sample origins on 127.0.0.1:3001-3004 and bulwark in front of
 * them with conf/demo.yaml. Each origin answers with its own name, so round-robin is
 * visible with plain curl. demo-4 is flaky: it answers 503 (health endpoint included) for
 * FLAKY_DOWN_MS out of every FLAKY_CYCLE_MS, so the log shows bulwark marking it down,
 * ejecting it and bringing it back. Ctrl-C drains bulwark and stops everything.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { App } from '../runtime/app.js';

const ORIGINS = [
  { name: 'demo-1', port: 3001, flaky: false },
  { name: 'demo-2', port: 3002, flaky: false },
  { name: 'demo-3', port: 3003, flaky: false },
  { name: 'demo-4', port: 3004, flaky: true },
];
const FLAKY_CYCLE_MS = 12_000;
const FLAKY_DOWN_MS = 4_000;
const started = Date.now();

function startOrigin(name: string, port: number, flaky: boolean): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (flaky && (Date.now() - started) % FLAKY_CYCLE_MS >= FLAKY_CYCLE_MS - FLAKY_DOWN_MS) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'x-origin': name });
      res.end(`${name} is having a bad moment\n`);
      return;
    }
    const body = `hello from ${name} (${req.method} ${req.url})\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-origin': name });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`demo origin ${name} cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`)),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const configFile = process.argv[2] ?? fileURLToPath(new URL('../../conf/demo.yaml', import.meta.url));
  const origins = await Promise.all(ORIGINS.map((o) => startOrigin(o.name, o.port, o.flaky)));
  const app = await App.start({ configFile });
  const front = app.addresses[0]!;
  const admin = app.adminAddress!;
  process.stderr.write(
    `\nbulwark demo is running\n` +
      `  origins:  ${ORIGINS.map((o) => `http://127.0.0.1:${o.port}`).join('  ')}  (demo-4 fails ${FLAKY_DOWN_MS / 1000}s of every ${FLAKY_CYCLE_MS / 1000}s)\n` +
      `  proxy:    http://${front.address}:${front.port}/   (try: curl http://${front.address}:${front.port}/)\n` +
      `  status:   http://${admin.address}:${admin.port}/status\n` +
      `  Ctrl-C to stop\n\n`,
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await app.stop();
    for (const o of origins) o.closeAllConnections();
    await Promise.all(origins.map((o) => new Promise((r) => o.close(r))));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`bulwark demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
