/**
 * Request buffering (src/proxy/request-body.ts: the body is read whole, in memory up to
 * request_buffer_size, then a temp file, before the server sees it), and
 * response buffering for clients that fall behind (src/proxy/spool.ts): the server's
 * connection is released as soon as it has sent everything, the client still gets every
 * byte in order, the temp file never shows in the directory, and the settings do what the
 * README says (buffer_responses, response_buffer_size, max_temp_file_size, temp_path,
 * timeouts.send, request_buffer_size).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { expectBody } from '../helpers/bytes.js';
import { accessLines, activeRequests, useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();
// Larger than what loopback socket buffers absorb (several MiB), so the client truly falls behind.
const BODY = randomBytes(32 * 1024 * 1024);

/** A client that sends `requests` and reads nothing until `read()`; collects the bytes. */
async function pausedClient(port: number, requests: string) {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  h.defer(() => s.destroy());
  s.on('error', () => {});
  const chunks: Buffer[] = [];
  s.pause();
  s.write(requests);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  return {
    read(): void {
      s.on('data', (c: Buffer) => chunks.push(c));
      s.resume();
    },
    bytes: (): Buffer => Buffer.concat(chunks),
    closed,
  };
}

/** The bodies of `n` Content-Length responses in `data`. */
function bodies(data: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = data.indexOf('\r\n\r\n', at);
    const len = Number(/content-length: (\d+)/i.exec(data.subarray(at, end).toString('latin1'))![1]);
    out.push(data.subarray(end + 4, end + 4 + len));
    at = end + 4 + len;
  }
  return out;
}

async function setup(front = '') {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-spool-test-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  let sent = 0;
  const origin = await h.origin((_req, res) => {
    res.writeHead(200, { 'content-length': BODY.length });
    res.end(BODY, () => sent++);
  });
  const bw = await h.bulwark(simpleConfig([origin.url], { top: `front: { temp_path: "${dir}"${front} }` }));
  return { dir, origin, bw, sent: () => sent };
}

/** Paths of this process's open files under `dir` (an unlinked file reads "... (deleted)"). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return links.filter((l) => l.startsWith(dir));
}

/** Polls this process's open files under `dir` until `ok` holds (fds open and close asynchronously). */
async function waitFiles(dir: string, ok: (files: string[]) => boolean, what: string): Promise<string[]> {
  for (let i = 0; ; i++) {
    const files = await openFilesUnder(dir);
    if (ok(files)) return files;
    if (i > 500) throw new Error(`timed out waiting for ${what}; open: ${JSON.stringify(files)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('response buffering', () => {
  it('frees the server while a paused client still gets every byte, in order; the temp file is unlinked at once', async () => {
    const { dir, bw, sent } = await setup();
    const c = await pausedClient(bw.port, 'GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    // The server is done long before the client reads a byte.
    await waitFor(() => sent() === 1 && activeRequests(bw) === 0, 10_000, 'the server released');
    expect(accessLines(bw)).toHaveLength(0);
    const files = await waitFiles(dir, (f) => f.length === 1 && f[0]!.endsWith('(deleted)'), 'an unlinked spool file');
    expect(files.length).toBe(1);
    expect(await readdir(dir)).toEqual([]);
    c.read();
    await c.closed;
    expectBody(bodies(c.bytes(), 1)[0], BODY);
    await waitFor(() => accessLines(bw).length === 1, 5000, 'the access line');
    expect(accessLines(bw)[0]).toMatchObject({ status: 200 });
    expect(accessLines(bw)[0]!['error']).toBeUndefined();
    await waitFiles(dir, (f) => f.length === 0, 'the spool file to close');
  });

  it('pipelined responses behind a paused client are each buffered, and arrive whole and in order', async () => {
    const { bw, sent } = await setup();
    const c = await pausedClient(bw.port, 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => sent() === 3 && activeRequests(bw) === 0, 10_000, 'all three servers released');
    expect(bw.app.proxy.inFlight).toBe(3);
    c.read();
    await c.closed;
    for (const [i, b] of bodies(c.bytes(), 3).entries()) expectBody(b, BODY, `response ${i + 1}`);
  });

  it('max_temp_file_size caps the file: the server is paused at the cap, resumed as the client reads, and nothing is lost', async () => {
    const { bw } = await setup(', max_temp_file_size: 256kb');
    const c = await pausedClient(bw.port, 'GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => activeRequests(bw) === 1, 5000, 'the request at the server');
    await new Promise((r) => setTimeout(r, 300));
    expect(activeRequests(bw)).toBe(1); // held at the cap: 32 MiB doesn't fit in 256 KiB
    c.read();
    await c.closed;
    expectBody(bodies(c.bytes(), 1)[0], BODY);
    await waitFor(() => activeRequests(bw) === 0, 5000, 'released');
  });

  it('buffer_responses: false holds the server for as long as the client does not read (plain backpressure), and no file is made', async () => {
    const { dir, bw } = await setup(', buffer_responses: false');
    const c = await pausedClient(bw.port, 'GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => activeRequests(bw) === 1, 5000, 'the request at the server');
    await new Promise((r) => setTimeout(r, 500));
    expect(activeRequests(bw)).toBe(1);
    expect(await openFilesUnder(dir)).toEqual([]);
    c.read();
    await c.closed;
    expectBody(bodies(c.bytes(), 1)[0], BODY);
  });

  it('timeouts.send cuts a client that accepts nothing for that long, and logs it as BLWK_CLIENT_TIMEOUT', async () => {
    const { dir, bw } = await setup(', timeouts: { send: 400ms }');
    const c = await pausedClient(bw.port, 'GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => accessLines(bw).length === 1, 10_000, 'the access line');
    // The client, reading at last, finds its connection cut and the body short.
    c.read();
    await c.closed;
    expect(c.bytes().length).toBeLessThan(BODY.length);
    expect(accessLines(bw)[0]).toMatchObject({ status: 200, error: 'BLWK_CLIENT_TIMEOUT' });
    expect(accessLines(bw)[0]!['detail']).toMatch(/send/);
    expect(bw.app.proxy.inFlight).toBe(0);
    await waitFiles(dir, (f) => f.length === 0, 'the spool file to close');
  });

  it('response_buffer_size: a response that fits in it is held in memory, no temp file, and the server is still released', async () => {
    const { dir, bw, sent } = await setup(', response_buffer_size: 64mb');
    const c = await pausedClient(bw.port, 'GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => sent() === 1 && activeRequests(bw) === 0, 10_000, 'the server released');
    expect(await openFilesUnder(dir)).toEqual([]);
    c.read();
    await c.closed;
    expectBody(bodies(c.bytes(), 1)[0], BODY);
  });
});

describe('request buffering', () => {
  /** Sends a head announcing `total` bytes and the first `first` of them, then waits. */
  async function partialUpload(port: number, total: number, first: number) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    h.defer(() => s.destroy());
    s.on('error', () => {});
    s.write(`POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
    s.write(Buffer.alloc(first, 'u'));
    return s;
  }

  for (const [size, file] of [['64kb', true], ['4mb', false]] as const) {
    it(`request_buffer_size ${size}: a 1 MiB upload in progress is held ${file ? 'in an unlinked temp file' : 'in memory'}, and the origin sees nothing until it is complete`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'bulwark-body-test-'));
      h.defer(() => rm(dir, { recursive: true, force: true }));
      const origin = await h.origin((req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(String(n)));
      });
      const bw = await h.bulwark(simpleConfig([origin.url], { top: `front: { temp_path: "${dir}", request_buffer_size: ${size} }` }));
      const s = await partialUpload(bw.port, 2 * 1024 * 1024, 1024 * 1024);
      // The file is opened, then unlinked: wait for both.
      let files: string[] = [];
      if (file) files = await waitFiles(dir, (f) => f.length === 1 && f[0]!.endsWith('(deleted)'), 'an unlinked body file');
      else {
        await waitFor(() => bw.app.proxy.inFlight === 1, 5000, 'the upload in flight');
        await new Promise((r) => setTimeout(r, 200));
        files = await openFilesUnder(dir);
      }
      expect(files.length).toBe(file ? 1 : 0);
      expect(await readdir(dir)).toEqual([]);
      expect(origin.requests).toHaveLength(0);
      let reply = '';
      s.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      s.write(Buffer.alloc(1024 * 1024, 'v'));
      await waitFor(() => reply.endsWith(String(2 * 1024 * 1024)), 10_000, 'the reply');
      await waitFor(() => bw.app.proxy.inFlight === 0, 5000, 'the exchange to end');
      await waitFiles(dir, (f) => f.length === 0, 'the body file to close');
    });
  }
});
