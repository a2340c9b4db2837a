/**
 * Slowloris over h2c: hundreds of connections that never finish their preface, or send it
 * and nothing more, and read nothing, against an HTTP/2 listener. Each is freed once
 * front.timeouts.keep_alive has passed twice (node:http2's own close waits for the socket
 * to finish, which such a client never lets happen: see proxy/h2-guard.ts), and ordinary
 * HTTP/2 requests are served all along.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { FRAME, frame, h2Request, h2Session, h2c } from '../helpers/h2.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();
const N = 300;

describe('HTTP/2 slowloris', () => {
  it(`frees ${2 * N} silent and stalled connections after keep_alive and keeps serving`, async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }], { front: { timeouts: { keep_alive: '2s' } } })));
    const preface = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(FRAME.SETTINGS, 0, 0)]);
    const sockets: net.Socket[] = [];
    h.defer(() => sockets.forEach((s) => s.destroy()));
    for (let i = 0; i < 2 * N; i++) {
      const s = net.connect(bw.port, '127.0.0.1');
      s.on('error', () => {});
      if (i % 2 === 1) s.write(i % 4 === 1 ? preface : preface.subarray(0, 10));
      sockets.push(s);
    }
    const server = bw.app.listeners.servers[0]!;
    const count = (): Promise<number> => new Promise((resolve) => server.getConnections((_e, n) => resolve(n)));
    let open = 0;
    await waitFor(() => (void count().then((n) => (open = n)), open >= 2 * N), 30_000, `${2 * N} connections accepted`);
    // Served meanwhile, on a connection of its own.
    const s = await h2Session(h, bw.url);
    for (let i = 0; i < 5; i++) expect((await h2Request(s, { ':path': '/' })).status).toBe(200);
    s.destroy();
    await waitFor(() => (void count().then((n) => (open = n)), open === 0), 30_000, `every connection freed (${open} open)`);
  });
});
