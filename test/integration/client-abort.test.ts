/**
 * @module test/integration/client-abort.test
 * A client that goes away cancels its upstream request: the origin sees its request
 * closed soon after the client resets its connection (before or during the response
 * body), or closes it while the body streams, or half-closes it with front.abort_on_close;
 * the server's active request count returns to 0, and the access log says so. (A plain
 * half-close before the response is answered by default: protocol-edges.test.ts.)
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { activeRequests, useHarness, waitAccess } from '../helpers/harness.js';
import { deferred, send, waitFor, withTimeout } from '../helpers/net.js';

describe('client abort', () => {
  const h = useHarness();

  /** An origin that records when its response is closed; `streaming` sends a head and a chunk first. */
  async function hangingOrigin(streaming: boolean, top?: string) {
    const upstreamClosed = deferred();
    const { origin, bw } = await h.proxied(
      (req, res) => {
        if (req.url === '/ok') return res.end('ok');
        res.on('close', () => upstreamClosed.resolve());
        if (streaming) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('tick');
          // A stream that goes on: writes to a closed client fail, which ends it.
          const t = setInterval(() => res.write('tick'), 50);
          res.on('close', () => clearInterval(t));
        }
        // never ends on its own
      },
      { top },
    );
    return { origin, bw, upstreamClosed: upstreamClosed.promise };
  }

  /** Resets the connection of an http.ClientRequest (RST: the client is gone for sure). */
  function reset(req: http.ClientRequest): void {
    if (req.socket !== null) req.socket.resetAndDestroy();
    else req.once('socket', (s) => s.once('connect', () => s.resetAndDestroy()));
  }

  for (const how of ['reset', 'half-close with front.abort_on_close: true'] as const) {
    it(`cancels the upstream request when the client leaves before the response head (${how})`, async () => {
      const { origin, bw, upstreamClosed } = await hangingOrigin(false, how === 'reset' ? undefined : 'front: { abort_on_close: true }');
      const req = http.get(`${bw.url}/slow`, { agent: false });
      req.on('error', () => {});
      await waitFor(() => origin.requests.length === 1, 3000, 'the request at the origin');
      expect(activeRequests(bw)).toBe(1);
      if (how === 'reset') reset(req);
      else req.destroy();
      await withTimeout(upstreamClosed, 3000, 'the upstream request to be cancelled');
      await waitFor(() => activeRequests(bw) === 0, 3000, 'activeRequests to return to 0');
      const [line] = await waitAccess(bw, 1);
      expect(line!['status']).toBe(499);
      expect(line!['error']).toBe('BLWK_CLIENT_ABORTED');
    });
  }

  it('by default, a half-close before the response head is not an abort: the request is answered (or times out)', async () => {
    const { origin, bw } = await hangingOrigin(false);
    const req = http.get(`${bw.url}/slow`, { agent: false });
    req.on('error', () => {});
    await waitFor(() => origin.requests.length === 1, 3000, 'the request at the origin');
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(activeRequests(bw)).toBe(1);
  });

  it('cancels the upstream request when the client aborts while the body streams', async () => {
    const { bw, upstreamClosed } = await hangingOrigin(true);
    const gotChunk = deferred<http.ClientRequest>();
    const req = http.get(`${bw.url}/stream`, { agent: false }, (res) => res.once('data', () => gotChunk.resolve(req)));
    req.on('error', () => {});
    (await withTimeout(gotChunk.promise, 3000, 'the first chunk')).destroy();
    await withTimeout(upstreamClosed, 3000, 'the upstream request to be cancelled');
    await waitFor(() => activeRequests(bw) === 0, 3000, 'activeRequests to return to 0');
    const [line] = await waitAccess(bw, 1);
    expect(line!['error']).toBe('BLWK_CLIENT_ABORTED');
  });

  it('with front.buffer_requests off, cancels the upstream request when the client aborts in the middle of an upload', async () => {
    const originGotData = deferred();
    const upstreamClosed = deferred();
    const { bw } = await h.proxied(
      (req, res) => {
        res.on('close', () => upstreamClosed.resolve());
        req.once('data', () => originGotData.resolve());
      },
      { top: 'front: { buffer_requests: false }' },
    );
    const req = http.request(`${bw.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': 1000 } });
    req.on('error', () => {});
    req.write('x'.repeat(100));
    await withTimeout(originGotData.promise, 3000, 'the first upload bytes at the origin');
    req.destroy();
    await withTimeout(upstreamClosed.promise, 3000, 'the upstream request to be cancelled');
    await waitFor(() => activeRequests(bw) === 0, 3000, 'activeRequests to return to 0');
  });

  it('by default, a client that aborts mid-upload never reaches the origin, and its buffer file is closed', async () => {
    const { origin, bw } = await h.proxied();
    const req = http.request(`${bw.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': 4 * 1024 * 1024 } });
    req.on('error', () => {});
    req.write('x'.repeat(1024 * 1024));
    await waitFor(() => bw.app.proxy.inFlight === 1, 3000, 'the request in flight');
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    await waitFor(() => bw.app.proxy.inFlight === 0, 3000, 'the request to end');
    expect(origin.requests).toHaveLength(0);
    const [line] = await waitAccess(bw, 1);
    expect(line).toMatchObject({ status: 499, error: 'BLWK_CLIENT_ABORTED' });
  });

  it('still serves new requests after clients aborted', async () => {
    const { origin, bw } = await hangingOrigin(false);
    for (let i = 0; i < 3; i++) {
      const req = http.get(`${bw.url}/slow`, { agent: false });
      req.on('error', () => {});
      await waitFor(() => origin.requests.length === i + 1, 3000, 'the request at the origin');
      reset(req);
    }
    await waitFor(() => activeRequests(bw) === 0, 3000, 'activeRequests to return to 0');
    expect(bw.app.proxy.inFlight).toBe(0);
    const r = await send(bw.url, { path: '/ok' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('ok');
  });
});
