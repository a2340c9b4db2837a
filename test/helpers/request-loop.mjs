// @module test/helpers/request-loop
// A timed request loop in a child process, so the latency it measures is the server's, not
// pauses of the test's own event loop (garbage collection after building a 5 MiB string,
// log polling). `node request-loop.mjs URL`: sequential GETs over one keep-alive
// connection, 2 ms apart; each finished request is printed as a JSON line
// { start, ms, status } (start in epoch ms, with fractions). Stops when stdin ends.
import { createRequire } from 'node:module';

const { Client } = createRequire(import.meta.url)('undici');
const client = new Client(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
let running = true;
process.stdin.on('data', () => {});
process.stdin.on('end', () => (running = false));
while (running) {
  const start = now();
  let status = 0;
  try {
    const r = await client.request({ path: '/', method: 'GET' });
    await r.body.text();
    status = r.statusCode;
  } catch {
    status = -1;
  }
  process.stdout.write(`${JSON.stringify({ start, ms: now() - start, status })}\n`);
  await new Promise((r) => setTimeout(r, 2));
}
await client.close();
