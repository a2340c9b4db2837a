/**
 * @module runtime/demo/origin
 * One demo origin, run as its own process (`node origin.js NAME HOST PORT [DOWN_MS CYCLE_MS]`)
 * so that a person can kill it. It answers every request (its health path included) with
 * its name; a flaky one answers 503 for the last DOWN_MS of every CYCLE_MS since it started.
 *
 * It talks to the demo over the IPC channel the demo opens: one `listening` or `error`
 * message, then nothing. It exits when that channel closes, so it never outlives the demo
 * (not even one killed with SIGKILL), and it ignores SIGINT: Ctrl-C in the terminal reaches
 * the whole process group, and the demo must drain bulwark before its origins go.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the origin tells the demo once it has tried to listen. */
export type OriginMessage = { readonly type: 'listening'; readonly port: number } | { readonly type: 'error'; readonly message: string };

/** Whether a flaky origin is in the failing part of its cycle `elapsedMs` after it started. */
function failing(elapsedMs: number, downMs: number, cycleMs: number): boolean {
  return downMs > 0 && elapsedMs % cycleMs >= cycleMs - downMs;
}

function serve(name: string, host: string, port: number, downMs: number, cycleMs: number): void {
  const started = Date.now();
  const send = (m: OriginMessage): void => void process.send?.(m);
  const server = http.createServer((req, res) => {
    const bad = failing(Date.now() - started, downMs, cycleMs);
    res.writeHead(bad ? 503 : 200, { 'content-type': 'text/plain; charset=utf-8', 'x-origin': name });
    res.end(bad ? `${name} is having a bad moment\n` : `hello from ${name} (${req.method} ${req.url})\n`);
  });
  server.once('error', (err: NodeJS.ErrnoException) => {
    send({ type: 'error', message: `demo origin ${name} cannot listen on ${host}:${port}: ${err.code ?? err.message}` });
    process.exit(1);
  });
  server.listen(port, host, () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));
}

const [name, host, port, downMs = '0', cycleMs = '1'] = process.argv.slice(2);
if (name === undefined || host === undefined || port === undefined || process.send === undefined) {
  process.stderr.write('usage: started by `npm run demo` (node origin.js NAME HOST PORT [DOWN_MS CYCLE_MS], with an IPC channel)\n');
  process.exit(2);
}
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
serve(name, host, Number(port), Number(downMs), Number(cycleMs));
