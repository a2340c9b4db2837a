/**
 * @module test/integration/h2-limits.test
 * HTTP/2 abuse limits, with a raw frame client for what node:http2 will not send:
 * connection-specific fields make a request malformed (RFC 9113 §8.2.2), too large a
 * header list is refused, a client resetting streams rapidly (CVE-2023-44487) or flooding
 * PING/SETTINGS gets GOAWAY(ENHANCE_YOUR_CALM) and is closed with bounded CPU, and the
 * stream cap is advertised and enforced. Idle connections close after keep_alive.
 */
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { FRAME, RawH2, frame, get, h2Request, h2Session, h2c, hpack } from '../helpers/h2.js';
import { waitFor } from '../helpers/net.js';
import { adminPost, startApp } from '../helpers/reload.js';

const { NGHTTP2_PROTOCOL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_CANCEL } = http2.constants;

describe('HTTP/2 limits', () => {
  const h = useHarness();

  async function proxy(front: Record<string, unknown> = {}, handler?: Parameters<typeof h.origin>[0]) {
    let hits = 0;
    const origin = await h.origin((req, res) => {
      hits++;
      if (handler) handler(req, res);
      else res.end('ok');
    });
    const bw = await h.bulwark(h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }], { front })));
    return { bw, hits: () => hits };
  }

  it.each([
    ['connection', 'close'],
    ['keep-alive', 'timeout=5'],
    ['proxy-connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'websocket'],
    ['te', 'gzip'],
  ])('resets a stream carrying %s (malformed, RFC 9113 §8.2.2); nothing reaches the origin', async (name, value) => {
    const { bw, hits } = await proxy();
    const c = await RawH2.open(h, bw.port);
    c.headers(1, [...get('/'), [name, value]]);
    c.headers(3, get('/fine'));
    await waitFor(() => c.rstCode(1) !== undefined && c.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 3), 5000, 'the reset and the next answer');
    expect(c.rstCode(1)).toBe(NGHTTP2_PROTOCOL_ERROR);
    expect(hits()).toBe(1);
  });

  it('resets an extended CONNECT stream (RFC 8441 is not offered)', async () => {
    const { bw, hits } = await proxy();
    const c = await RawH2.open(h, bw.port);
    c.headers(1, [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'http'], [':path', '/chat'], [':authority', 'h2.test']]);
    await waitFor(() => c.rstCode(1) !== undefined, 5000, 'the reset');
    expect(c.rstCode(1)).toBe(NGHTTP2_PROTOCOL_ERROR);
    expect(hits()).toBe(0);
  });

  it('applies a reload of the h2 limits: new connections get the new SETTINGS', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = (streams: number) => h2c(routedConfig({ web: [origin.url] }, [{ upstream: 'web' }], { front: { h2_max_concurrent_streams: streams } }));
    const bw = await startApp(h, yaml(3), { watch: false });
    const before = await h2Session(h, bw.url);
    await waitFor(() => before.remoteSettings.maxConcurrentStreams === 3, 5000, 'the first SETTINGS');
    await bw.save(yaml(7));
    expect(JSON.parse((await adminPost(bw.adminUrl, '/reload')).text)).toMatchObject({ result: 'applied' });
    const after = await h2Session(h, bw.url);
    await waitFor(() => after.remoteSettings.maxConcurrentStreams === 7, 5000, 'the new SETTINGS');
    expect((await h2Request(before, { ':path': '/' })).status).toBe(200);
  });

  it('answers 431 to a header list over h2_max_header_list_size; a smaller one passes', async () => {
    const { bw, hits } = await proxy({ h2_max_header_list_size: '8kb' });
    const s = await h2Session(h, bw.url);
    const big = await h2Request(s, { ':path': '/', 'x-big': 'a'.repeat(8100) });
    expect(big.status).toBe(431);
    expect(big.body.toString()).toContain('front.h2_max_header_list_size');
    expect(hits()).toBe(0);
    expect((await h2Request(s, { ':path': '/', 'x-big': 'a'.repeat(7000) })).status).toBe(200);
    expect(hits()).toBe(1);
  });

  it('advertises h2_max_concurrent_streams and refuses streams past it', async () => {
    const { bw } = await proxy({ h2_max_concurrent_streams: 3 }, (_req, res) => void setTimeout(() => res.end('late'), 500));
    const s = await h2Session(h, bw.url);
    await waitFor(() => s.remoteSettings.maxConcurrentStreams === 3, 5000, 'the SETTINGS');
    const c = await RawH2.open(h, bw.port);
    for (let i = 0; i < 5; i++) c.headers(1 + 2 * i, get(`/${i}`));
    await waitFor(() => c.rstCode(7) !== undefined && c.rstCode(9) !== undefined, 5000, 'refused streams');
    expect(c.rstCode(7)).toBe(http2.constants.NGHTTP2_REFUSED_STREAM);
    expect(c.rstCode(1)).toBeUndefined();
  });

  it('closes a connection that resets streams rapidly (CVE-2023-44487) with GOAWAY, CPU bounded', async () => {
    // A slow origin: every stream that got through would hold an upstream request.
    const { bw, hits } = await proxy({ h2_max_resets_per_second: 50 }, (req, res) => void setTimeout(() => res.end('late'), req.url === '/after' ? 0 : 2000));
    const c = await RawH2.open(h, bw.port);
    const cpu = process.cpuUsage();
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(NGHTTP2_CANCEL);
    let id = 1;
    // Up to 20 000 streams, each opened and reset at once, 20 to a write. (All in one write,
    // nghttp2's own reset limit, 1000 at once, would end the connection first.)
    for (let batch = 0; batch < 1000 && !c.closed; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 20; i++, id += 2) frames.push(frame(FRAME.HEADERS, 5, id, hpackGet), frame(FRAME.RST_STREAM, 0, id, rst));
      c.write(Buffer.concat(frames));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => c.closed, 10_000, 'the connection to close');
    const used = process.cpuUsage(cpu);
    expect(c.goawayCode()).toBe(NGHTTP2_ENHANCE_YOUR_CALM);
    await waitFor(() => bw.logs.some((l) => l['event'] === 'h2_limit'), 5000, 'the h2_limit line');
    expect(bw.logs.filter((l) => l['event'] === 'h2_limit').map((l) => l['limit'])).toEqual(['front.h2_max_resets_per_second']);
    // GOAWAY's last stream id: what the proxy took before it closed (the rest was never processed).
    const goaway = c.frames.find((f) => f.type === FRAME.GOAWAY)!;
    expect(goaway.payload.readUInt32BE(0) & 0x7fffffff).toBeLessThan(2 * 2000);
    expect(hits()).toBeLessThan(1000);
    // Generous: the whole flood, client side included, in well under 5 s of CPU.
    expect((used.user + used.system) / 1e6).toBeLessThan(5);
    // Other clients are still served.
    const s = await h2Session(h, bw.url);
    expect((await h2Request(s, { ':path': '/after' })).status).toBe(200);
  });

  it.each([
    ['PING', () => frame(FRAME.PING, 0, 0, Buffer.alloc(8))],
    ['SETTINGS', () => frame(FRAME.SETTINGS, 0, 0)],
  ])('closes a connection flooding %s frames with GOAWAY', async (_name, make) => {
    const { bw } = await proxy({ h2_max_control_frames_per_second: 20 });
    const c = await RawH2.open(h, bw.port);
    c.write(Buffer.concat(Array.from({ length: 200 }, make)));
    await waitFor(() => c.closed, 10_000, 'the connection to close');
    expect(c.goawayCode()).toBe(NGHTTP2_ENHANCE_YOUR_CALM);
    await waitFor(() => bw.logs.some((l) => l['event'] === 'h2_limit'), 5000, 'the h2_limit line');
    expect(bw.logs.filter((l) => l['event'] === 'h2_limit')).toEqual([
      expect.objectContaining({ level: 40, peer: '127.0.0.1', limit: 'front.h2_max_control_frames_per_second' }),
    ]);
  });

  it('resets a stream whose request body is not complete within front.timeouts.request; the connection goes on', async () => {
    const { bw, hits } = await proxy({ timeouts: { request: '400ms', headers: '400ms' } });
    const s = await h2Session(h, bw.url);
    const stuck = s.request({ ':method': 'POST', ':path': '/upload', 'content-length': '100' }, { endStream: false });
    stuck.write('only part of it');
    const closed = new Promise<number>((r) => stuck.on('close', () => r(stuck.rstCode ?? -1)));
    stuck.on('error', () => {});
    expect(await closed).toBe(NGHTTP2_CANCEL);
    expect(hits()).toBe(0);
    expect((await h2Request(s, { ':path': '/next' })).status).toBe(200);
  });

  it('closes an idle connection after front.timeouts.keep_alive, but not one with a stream open', async () => {
    const { bw } = await proxy({ timeouts: { keep_alive: '300ms' } }, (req, res) => void setTimeout(() => res.end('slow'), req.url === '/slow' ? 900 : 0));
    const idle = await h2Session(h, bw.url);
    const busy = await h2Session(h, bw.url);
    const slow = h2Request(busy, { ':path': '/slow' });
    await waitFor(() => idle.closed || idle.destroyed, 5000, 'the idle session to close');
    expect((await slow).body.toString()).toBe('slow');
  });
});

/** GET / with the usual pseudo-headers, encoded once. */
const hpackGet = hpack(get('/'));
