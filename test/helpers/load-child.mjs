// @module test/helpers/load-child
// Load generators run in a child process (see load-child.ts), so that they don't share the
// test's event loop with the bulwark under test and its health-check timers.
// LOAD_MODE=autocannon: runs autocannon with the options in LOAD_OPTS (JSON) and prints its
//   result as one JSON line.
// LOAD_MODE=loop: LOAD_OPTS { url, path, concurrency }: that many loops over one undici Pool
//   (one keep-alive connection each), each sending GET path as soon as its previous request
//   finished; every finished request is printed as a JSON line { start, end, status,
//   origin, error } (Date.now() times). Stops when stdin ends, after the requests in flight.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const opts = JSON.parse(process.env.LOAD_OPTS ?? '{}');

if (process.env.LOAD_MODE === 'autocannon') {
  const autocannon = require('autocannon');
  autocannon(opts, (err, r) => {
    if (err) {
      console.error(err);
      process.exit(1);
    }
    const { requests, non2xx, errors, timeouts, resets, statusCodeStats } = r;
    process.stdout.write(JSON.stringify({ requests, non2xx, errors, timeouts, resets, statusCodeStats, '2xx': r['2xx'] }) + '\n');
  });
} else if (process.env.LOAD_MODE === 'loop') {
  const { Pool } = require('undici');
  const pool = new Pool(opts.url, { connections: opts.concurrency });
  let running = true;
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => (running = false));
  const loop = async () => {
    while (running) {
      const start = Date.now();
      let status = 0;
      let origin = '';
      let error = '';
      try {
        const r = await pool.request({ path: opts.path ?? '/', method: 'GET' });
        status = r.statusCode;
        origin = String(r.headers['x-origin'] ?? '');
        await r.body.text();
      } catch (err) {
        error = err?.message || String(err);
      }
      process.stdout.write(JSON.stringify({ start, end: Date.now(), status, origin, error }) + '\n');
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  await pool.destroy();
} else {
  console.error(`unknown LOAD_MODE ${process.env.LOAD_MODE}`);
  process.exit(2);
}
