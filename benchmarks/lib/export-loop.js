// GET <url> (the admin session export) back to back with a pause between, discarding the
// body, until SIGTERM; then prints the number of exports completed and exits.
// A child process of its own, so receiving ~10 MB per export does not slow the load
// generator's event loop (which would inflate the very latencies being measured).
//
// Usage: node benchmarks/lib/export-loop.js <url> <hostHeader> <pauseMs>
import http from 'node:http';

const [url, host, pauseArg] = process.argv.slice(2);
const pauseMs = Number(pauseArg ?? 200);
let running = true;
let n = 0;

function once() {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host }, agent: false }, (res) => {
        res.on('data', () => {});
        res.on('end', resolve);
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

process.on('SIGTERM', () => (running = false));
while (running) {
  await once();
  n++;
  await new Promise((r) => setTimeout(r, pauseMs));
}
console.log(String(n));
