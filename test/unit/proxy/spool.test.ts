/**
 * Spool (src/proxy/spool.ts) driven the way ResponseWriter and undici drive it, over a real
 * client socket and a real temp file, in orderings the integration tests only meet by chance:
 * undici's resume() delivers the next body chunks, and even the end of the response,
 * synchronously inside onRoom; the thread pool may finish two file writes out of order; a
 * chunk may be larger than the whole max_temp_file_size. Each checks every byte.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Spool, type BufferingSettings } from '../../../src/proxy/spool.js';
import { expectBody } from '../../helpers/bytes.js';
import { holdFirstWrite, shortenFirstWrite } from '../../helpers/fs-order.js';
import { useHarness } from '../../helpers/harness.js';
import { waitFor, withTimeout } from '../../helpers/net.js';

const h = useHarness();
const KB = 1024;
afterEach(() => void vi.restoreAllMocks());

/**
 * Answers with `body` in `chunk`-sized pieces as ResponseWriter does: straight to the
 * response until it first reports backpressure, then through a Spool, pausing when write()
 * says so and going on synchronously in onRoom (as undici's resume() does); the end as
 * ResponseWriter.end (spool.end() unless it is empty).
 */
function serve(res: ServerResponse, body: Buffer, chunk: number, settings: BufferingSettings): void {
  res.writeHead(200, { 'content-length': body.length, connection: 'close' });
  let at = 0;
  let ended = false;
  const next = (): Buffer => body.subarray(at, (at += chunk));
  let spool: Spool | undefined;
  while (at < body.length && spool === undefined) {
    if (!res.write(next())) spool = new Spool(res, settings, { onRoom: () => feed(), onFlushed: () => res.end(), onError: () => res.destroy() });
  }
  expect(spool, 'the response never fell behind: nothing to test').toBeDefined();
  res.on('drain', () => spool!.drained());
  res.on('close', () => spool!.destroy());
  const feed = (): void => {
    while (at < body.length) if (!spool!.write(next())) return;
    if (ended) return;
    ended = true;
    if (!spool!.empty) spool!.end();
    else res.end();
  };
  feed();
}

/** GETs from `port` and resolves with the body once the server closes the connection; `received` counts bytes. */
async function fetchBody(port: number, received = { bytes: 0 }): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  h.defer(() => s.destroy());
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => {
    chunks.push(c);
    received.bytes += c.length;
  });
  s.on('error', () => {});
  s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await withTimeout(new Promise((r) => s.once('close', r)), 15_000, 'the response to end');
  const data = Buffer.concat(chunks);
  return data.subarray(data.indexOf('\r\n\r\n') + 4);
}

async function settings(memory: number, maxFile: number): Promise<BufferingSettings> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-spool-unit-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  return { memory, maxFile, dir, sendTimeout: 10_000 };
}

describe('Spool', () => {
  it('the last chunks and the end, delivered synchronously in onRoom while the client is behind, are still all sent', async () => {
    // 64 KiB direct, 64 KiB memory, 256 KiB file, one 64 KiB chunk held with the file full,
    // and the last one: it arrives in the onRoom that follows sending the held one (a 64 KiB
    // write is over the socket's high-water mark: the client is behind again), with the end.
    const body = randomBytes(8 * 64 * KB);
    const s = await settings(64 * KB, 256 * KB);
    const origin = await h.origin((_req, res) => serve(res, body, 64 * KB, s));
    expectBody(await fetchBody(origin.port), body);
  });

  it('a file write that completes after a later one is not read before it is on disk', async () => {
    const body = randomBytes(16 * 64 * KB);
    const s = await settings(64 * KB, 1024 * KB);
    const got = { bytes: 0 };
    const origin = await h.origin((_req, res) => serve(res, body, 64 * KB, s));
    // The thread pool runs writes in parallel: hold the file's first write back until the
    // client has received what precedes it and more, or a while (nothing more can arrive).
    const w = holdFirstWrite();
    const fetched = fetchBody(origin.port, got);
    const start = Date.now();
    await waitFor(() => got.bytes > 4 * 64 * KB || Date.now() - start > 1000, 10_000, 'the client to read');
    w.release();
    expectBody(await fetched, body);
  });

  it('a short file write (the disk full) cuts the response rather than leave a hole the client would read', async () => {
    const body = randomBytes(16 * 64 * KB);
    const s = await settings(64 * KB, 1024 * KB);
    const origin = await h.origin((_req, res) => serve(res, body, 64 * KB, s));
    shortenFirstWrite(100);
    const got = await fetchBody(origin.port);
    expect(got.length).toBeLessThan(body.length);
    expectBody(got, body.subarray(0, got.length), 'what was received');
  });

  it('the file is closed only once no write to it is in flight (a file opened meanwhile could get its number, and the write)', async () => {
    const body = randomBytes(16 * 64 * KB);
    const s = await settings(64 * KB, 1024 * KB);
    const origin = await h.origin((_req, res) => serve(res, body, 64 * KB, s));
    // Hold the file's first write back until the client has gone and a while has passed.
    const w = holdFirstWrite();
    const c = net.connect(origin.port, '127.0.0.1');
    h.defer(() => c.destroy());
    c.on('error', () => {});
    c.pause();
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => w.fd !== undefined, 10_000, 'a file write');
    c.destroy();
    const start = Date.now();
    await waitFor(() => w.closes.length > 0 || Date.now() - start > 500, 10_000, 'the client gone');
    w.release();
    await waitFor(() => w.closes.some((x) => x.fd === w.fd), 10_000, 'the file closed');
    expect(w.closes.filter((x) => x.whileHeld)).toEqual([]);
  });

  it('a chunk larger than max_temp_file_size, with no file yet, follows the memory queue', async () => {
    const body = randomBytes(8 * 64 * KB);
    const s = await settings(64 * KB, 16 * KB);
    const origin = await h.origin((_req, res) => serve(res, body, 64 * KB, s));
    expectBody(await fetchBody(origin.port), body);
  });
});
