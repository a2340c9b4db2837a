/**
 * Response buffering under random timing (src/proxy/spool.ts): for a bounded time, origins
 * send bodies in random-sized pieces with random pauses, and clients read them in random
 * slices with random pauses, one to three pipelined requests per connection, with the
 * memory queue and temp file sized near the pieces (or absent). Every byte of every body
 * must arrive once, in order. The timing varies from run to run (the seed is in the failure
 * message, for the sizes); what is asserted does not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { bodyDiff } from '../helpers/bytes.js';
import { useHarness } from '../helpers/harness.js';
import { withTimeout } from '../helpers/net.js';

const h = useHarness();
const KB = 1024;
/** How long each setting is exercised, ms. */
const RUN_MS = 1000;
const CLIENTS = 3;

/** mulberry32: a small seeded generator, so a failing run's sizes can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `body` in random pieces (1 B to 128 KiB), now and then after a pause, minding backpressure. */
async function sendInPieces(res: ServerResponse, body: Buffer, rnd: () => number): Promise<void> {
  res.writeHead(200, { 'content-length': body.length });
  for (let at = 0; at < body.length && !res.destroyed; ) {
    const n = 1 + Math.floor(rnd() ** 2 * 128 * KB);
    res.write(body.subarray(at, (at += n)));
    if (rnd() < 0.1) await pause(rnd() * 5);
    if (res.writableNeedDrain && !res.destroyed) await new Promise((r) => res.once('drain', r).once('close', r));
  }
  res.end();
}

/** Reads a connection to its end in random slices (1 B to 256 KiB), now and then pausing. */
function readInSlices(s: net.Socket, rnd: () => number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let waiting = false;
  const pump = (): void => {
    while (!waiting) {
      const c = (s.read(1 + Math.floor(rnd() ** 2 * 256 * KB)) as Buffer | null) ?? (s.read() as Buffer | null);
      if (c === null) return;
      chunks.push(c);
      if (rnd() < 0.1) {
        waiting = true;
        setTimeout(() => ((waiting = false), pump()), rnd() * 20);
      }
    }
  };
  s.on('readable', pump);
  return new Promise((r) => s.once('close', () => r(Buffer.concat(chunks))));
}

/** Splits Content-Length responses; each body is what follows its head (short if cut). */
function splitBodies(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const len = Number(/content-length: (\d+)/i.exec(data.subarray(at, end).toString('latin1'))?.[1] ?? 0);
    out.push(data.subarray(end + 4, end + 4 + len));
    at = end + 4 + len;
  }
  return out;
}

const SETTINGS = [
  'response_buffer_size: 0b, max_temp_file_size: 64kb',
  'response_buffer_size: 1kb, max_temp_file_size: 100kb',
  'response_buffer_size: 64kb, max_temp_file_size: 0b',
  'response_buffer_size: 16kb, max_temp_file_size: 1mb',
];

describe('response buffering under random timing', () => {
  for (const setting of SETTINGS) {
    it(`${setting}: every byte of every body arrives once, in order`, async () => {
      const seed = Math.floor(Math.random() * 2 ** 32);
      const rnd = generator(seed);
      const dir = await mkdtemp(join(tmpdir(), 'bulwark-spool-stress-'));
      h.defer(() => rm(dir, { recursive: true, force: true }));
      const bodies = new Map<string, Buffer>();
      const origin = await h.origin((req, res) => void sendInPieces(res, bodies.get(req.url!)!, rnd));
      const bw = await h.bulwark(simpleConfig([origin.url], { top: `front: { temp_path: "${dir}", ${setting} }` }));
      const problems: string[] = [];
      let checked = 0;
      let next = 0;
      const deadline = Date.now() + RUN_MS;
      const client = async (): Promise<void> => {
        while (Date.now() < deadline && problems.length === 0) {
          const paths: string[] = [];
          for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
            const path = `/b${next++}`;
            bodies.set(path, randomBytes(Math.floor(rnd() * 3 * 1024 * KB)));
            paths.push(path);
          }
          const s = net.connect(bw.port, '127.0.0.1');
          h.defer(() => s.destroy());
          s.on('error', () => {});
          s.write(paths.map((p, i) => `GET ${p} HTTP/1.1\r\nHost: a\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
          const got = splitBodies(await withTimeout(readInSlices(s, rnd), 30_000, `the responses to ${paths.join(' ')}`));
          paths.forEach((p, i) => {
            const diff = bodyDiff(got[i] ?? Buffer.alloc(0), bodies.get(p)!);
            if (diff !== '') problems.push(`${p} (${i + 1} of ${paths.length} on its connection): ${diff}`);
            bodies.delete(p);
            checked++;
          });
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      expect(problems, `seed ${seed}, ${checked} bodies checked`).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    }, 60_000);
  }
});
