/**
 * @module test/integration/drain.test
 * Graceful drain of the real process (`node dist/cli/main.js start`): on SIGTERM/SIGINT an
 * in-flight request completes, new connections are refused, and the process exits 0 with
 * "draining" and "stopped" logged; a request still running past front.timeouts.drain is
 * cut and the process still exits 0; a second signal exits at once with 1. In-process: a
 * response finished during the drain tells its keep-alive client to close.
 */
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { assertBuilt, CliProcess } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { send, tryConnect, waitFor, withTimeout, type Reply } from '../helpers/net.js';
import type { Origin } from '../helpers/origin.js';

/** Answers `/slow` after `delayMs` (never when null), anything else at once. */
function slowHandler(delayMs: number | null): http.RequestListener {
  return (req, res) => {
    if (req.url !== '/slow') return res.end('fast');
    if (delayMs !== null) setTimeout(() => res.end('slow done'), delayMs);
  };
}

describe('graceful drain (CLI process)', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  /** Starts the CLI in front of `origin`, sends GET /slow and waits until the origin has it. */
  async function startWithSlowRequest(origin: Origin, front: string): Promise<{ proc: CliProcess; reply: Promise<Reply> }> {
    const proc = await CliProcess.start(h, simpleConfig([origin.url], { top: front }));
    const reply = send(proc.url, { path: '/slow' });
    reply.catch(() => {}); // awaited by the test
    await waitFor(() => origin.requests.length === 1, 3000, 'the slow request at the origin');
    return { proc, reply };
  }

  const events = (proc: CliProcess): unknown[] => proc.logs().map((l) => l['event']);

  it('lets an in-flight request finish, refuses new connections, and exits 0 on SIGTERM', async () => {
    const origin = await h.origin(slowHandler(500));
    const { proc, reply } = await startWithSlowRequest(origin, 'front: { timeouts: { drain: 5s } }');
    proc.signal('SIGTERM');
    await proc.waitForLog((l) => l['event'] === 'draining');
    const refused = await tryConnect(proc.port);
    expect(refused?.code).toBe('ECONNREFUSED');
    const r = await withTimeout(reply, 5000, 'the in-flight request');
    expect(r.status).toBe(200);
    expect(r.text).toBe('slow done');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(events(proc)).toEqual(expect.arrayContaining(['signal', 'draining', 'stopped']));
    expect(proc.logs().find((l) => l['event'] === 'stopped')!['clean']).toBe(true);
    // The finished request was access-logged before the process went away.
    expect(proc.logs().some((l) => l['msg'] === 'access' && l['path'] === '/slow' && l['status'] === 200)).toBe(true);
  });

  it('drains on SIGINT the same way', async () => {
    const origin = await h.origin(slowHandler(300));
    const { proc, reply } = await startWithSlowRequest(origin, 'front: { timeouts: { drain: 5s } }');
    proc.signal('SIGINT');
    expect((await withTimeout(reply, 5000, 'the in-flight request')).status).toBe(200);
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(events(proc)).toEqual(expect.arrayContaining(['draining', 'stopped']));
  });

  it('exits 0 at once when idle', async () => {
    const origin = await h.origin(slowHandler(null));
    const proc = await CliProcess.start(h, simpleConfig([origin.url]));
    expect((await send(proc.url)).text).toBe('fast');
    proc.signal('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(proc.logs().find((l) => l['event'] === 'stopped')!['clean']).toBe(true);
  });

  it('cuts a request still running past front.timeouts.drain and still exits 0', async () => {
    const origin = await h.origin(slowHandler(null)); // never answers
    const { proc, reply } = await startWithSlowRequest(origin, 'front: { timeouts: { drain: 300ms } }');
    proc.signal('SIGTERM');
    await expect(withTimeout(reply, 5000, 'the cut request')).rejects.toThrow(/socket hang up|ECONNRESET|aborted|incomplete/);
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(proc.logs().find((l) => l['event'] === 'stopped')!['clean']).toBe(false);
    // The origin's request was cancelled too, not left hanging.
    await waitFor(() => origin.requests[0]!.destroyed, 3000, 'the upstream request to be closed');
  });

  it('cuts a response whose body is still streaming past the drain budget and exits 0', async () => {
    const origin = await h.origin((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started');
    });
    const proc = await CliProcess.start(h, simpleConfig([origin.url], { top: 'front: { timeouts: { drain: 300ms } }' }));
    const got = new Promise<{ status: number; ended: boolean }>((resolve) => {
      const req = http.get(proc.url, { agent: false }, (res) => {
        res.resume();
        res.once('data', () => proc.signal('SIGTERM'));
        res.on('end', () => resolve({ status: res.statusCode!, ended: res.complete }));
        res.on('error', () => resolve({ status: res.statusCode!, ended: false }));
        res.on('aborted', () => resolve({ status: res.statusCode!, ended: false }));
      });
      req.on('error', () => resolve({ status: 0, ended: false }));
    });
    expect(await withTimeout(got, 5000, 'the streaming response to be cut')).toEqual({ status: 200, ended: false });
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  });

  it('exits 1 at once on a second signal during the drain', async () => {
    const origin = await h.origin(slowHandler(null));
    const { proc } = await startWithSlowRequest(origin, 'front: { timeouts: { drain: 30s } }');
    proc.signal('SIGTERM');
    await proc.waitForLog((l) => l['event'] === 'draining');
    proc.signal('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 1, signal: null });
    expect(events(proc)).toContain('forced_exit');
  });
});

describe('graceful drain (in-process App.stop)', () => {
  const h = useHarness();

  it('answers an in-flight keep-alive request with Connection: close, then closes the connection', async () => {
    const origin = await h.origin(slowHandler(300));
    const bw = await h.bulwark(simpleConfig([origin.url]));
    const conn = await h.raw(bw.port);
    conn.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => origin.requests.length === 1, 3000, 'the slow request at the origin');
    const stopped = bw.app.stop(5000);
    const [r] = await conn.waitResponses(1, 5000);
    expect(r!.status).toBe(200);
    expect(r!.headers['connection']).toBe('close');
    await withTimeout(conn.closed, 3000, 'the client connection to be closed');
    expect(await stopped).toBe(true);
  });
});
