// Access-line encoder micro-benchmark: ns per line for the json and combined formats,
// through bulwark's own sink (accessSink: the in-place writer into LineWriter's batch
// buffer, which writes to /dev/null). With two builds' dist/ folders it runs them in
// turns, round after round, so both see the same machine drift (as run.js does for whole
// targets): compare the medians side by side.
//
//   npm run build && node benchmarks/access-line.js                  # this build
//   node benchmarks/access-line.js /tmp/old/dist dist                # two builds, in turns
//
// BENCH_LINES (default 200000) lines per sample, BENCH_ROUNDS (default 9) samples each.
// The record is a typical proxied GET; a build older than a field ignores it.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const dists = process.argv.length > 2 ? process.argv.slice(2) : ['dist'];

/** Requests as they end: times a millisecond or so apart, ids and paths that vary. */
function records(n) {
  const t0 = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    time: t0 + (i >> 4),
    method: 'GET',
    path: `/api/v1/items/${i % 1000}?page=${i % 7}`,
    protocol: 'HTTP/1.1',
    status: 200,
    upstream: 'web',
    server: `web-${(i % 3) + 1}`,
    duration_ms: 1.234 + (i % 100) / 1000,
    request_id: `0f8e2c1a-4b7d-4e21-9c3b-${String(100000000000 + i).slice(-12)}`,
    error: '',
    detail: '',
    client: '127.0.0.1',
    host: 'shop.example.com',
    bytes_in: 180 + (i % 40),
    bytes_out: 1400 + (i % 300),
    attempts: 1,
    steer: '',
  }));
}

async function load(dist) {
  const dir = path.resolve(dist);
  const { LineWriter } = await import(pathToFileURL(path.join(dir, 'log/line-writer.js')).href);
  const { accessSink } = await import(pathToFileURL(path.join(dir, 'log/index.js')).href);
  const writer = new LineWriter({ fd: fs.openSync('/dev/null', 'w') });
  return { dist, writer, json: accessSink(writer, writer, 'json', 4242), combined: accessSink(writer, writer, 'combined', 4242) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const recs = records(4096);
const builds = await Promise.all(dists.map(load));
const ns = new Map(builds.map((b) => [b.dist, { json: [], combined: [] }]));
/** One sample: LINES lines of `format` through `b`'s sink, ns per line. */
async function sample(b, format) {
  const sink = b[format];
  const t = performance.now();
  for (let i = 0; i < LINES; i++) sink(recs[i & 4095]);
  const per = ((performance.now() - t) * 1e6) / LINES;
  await b.writer.flush();
  return per;
}
for (const b of builds) for (const f of ['json', 'combined']) await sample(b, f); // warm-up (JIT)
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? builds : [...builds].reverse();
  for (const f of ['json', 'combined']) for (const b of order) ns.get(b.dist)[f].push(await sample(b, f));
}
for (const b of builds) {
  const s = ns.get(b.dist);
  // The median, and the minimum: on a loaded machine noise only adds time, so the fastest sample is the steadiest figure.
  const fig = (xs) => `median ${median(xs).toFixed(0)}, min ${Math.min(...xs).toFixed(0)} ns/line`;
  console.log(`${b.dist}: json ${fig(s.json)}; combined ${fig(s.combined)}`);
  b.writer.close();
}
