// A throwaway redis-server for the fleet benchmarks: 127.0.0.1, a free port, no persistence.
// It runs where the harness runs (under BENCH_PIN: on the harness's cores, beside the
// origins), so its CPU is never charged to a proxy; cpuPids lets a bench report it apart.
import { execFile } from 'node:child_process';
import { freePort, spawnTracked, stop } from './proc.js';

/** True when a Redis on `port` answers PING (asked with redis-cli, which comes with redis-server). */
export function redisPings(port) {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 }, (err, stdout) => resolve(!err && stdout.trim() === 'PONG'));
  });
}

/**
 * Starts redis-server and resolves once it answers PING: { url, port, child, stop() }.
 * Throws with a hint when redis-server is not installed (apt-get install redis-server).
 */
export async function startRedisServer(name = 'redis', timeoutMs = 10_000) {
  const port = await freePort();
  const child = spawnTracked(name, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let failed = null;
  child.on('error', (e) => (failed = e));
  const deadline = Date.now() + timeoutMs;
  while (!(await redisPings(port))) {
    if (failed) throw new Error(`redis-server did not start (${failed.message}): install it with apt-get install redis-server`);
    if (child.exitCode !== null) throw new Error(`redis-server exited early (code ${child.exitCode})`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, child, stop: () => stop(child) };
}
