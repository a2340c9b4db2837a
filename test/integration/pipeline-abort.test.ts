/**
 * Issue 12 item 2: every exchange is released when its client connection goes, however
 * many requests were pipelined on it, and no assertion is reachable from client behaviour.
 */
import { describe, expect, it } from 'vitest';
import { activeRequests, useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();

describe('pipelined requests and client aborts', () => {
  // before: the queued answers are complete (small) when the client leaves; held: they are
  // large and stuck behind the first; after: the last one is still at the origin.
  for (const when of ['before', 'held', 'after'] as const) {
    it(`a client that leaves while pipelined requests wait releases every exchange (queued answers: ${when})`, async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { origin, bw } = await h.proxied((req, res) => {
        if (req.url === '/slow') void gate.then(() => res.end('slow'));
        else if (req.url === '/hang' && when === 'after') void gate.then(() => res.end('late'));
        else res.end('x'.repeat(when === 'before' ? 1024 : 1024 * 1024));
      });
      const c = await h.raw(bw.port);
      c.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n' + 'GET /big HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(3) + 'GET /hang HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => origin.requests.length === 5, 5000, 'all five requests at the origin');
      if (when === 'before') await waitFor(() => activeRequests(bw) === 1, 5000, 'the queued answers to arrive');
      c.destroy();
      await c.closed;
      release();
      await waitFor(() => activeRequests(bw) === 0 && bw.app.proxy.inFlight === 0, 5000, 'every exchange released');
      // And bulwark still serves.
      expect((await (await h.raw(bw.port)).request('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n')).status).toBe(200);
      expect(bw.logs.filter((l) => JSON.stringify(l).includes('ERR_ASSERTION'))).toEqual([]);
    });
  }
});
