/**
 * @module test/integration/admin.test
 * The admin listener: /healthz, the /status document (shape, flags, live active request
 * counts), 405 for other methods, 404 for unknown paths; and it is not reachable through
 * the proxy listener.
 */
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { disableAll, useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

interface StatusDoc {
  config: { version: number; loaded_at: string };
  upstreams: Array<{
    name: string;
    scheduler: string;
    servers: Array<{ name: string; url: string; weight: number; available: boolean; flags: string[]; active_requests: number }>;
  }>;
}

async function status(adminUrl: string): Promise<StatusDoc> {
  const r = await send(adminUrl, { path: '/status' });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(r.text) as StatusDoc;
}

describe('admin API', () => {
  const h = useHarness();

  it('answers GET /healthz with 200', async () => {
    const { bw } = await h.proxied();
    const r = await send(bw.adminUrl, { path: '/healthz' });
    expect(r.status).toBe(200);
  });

  it('serves the /status document', async () => {
    const a = await h.origin();
    const b = await h.origin();
    const bw = await h.bulwark(simpleConfig([a.url, b.url], { scheduler: 'least-connections' }));
    const doc = await status(bw.adminUrl);
    expect(doc.config.version).toEqual(expect.any(Number));
    expect(new Date(doc.config.loaded_at).toISOString()).toBe(doc.config.loaded_at);
    expect(doc.upstreams).toEqual([
      {
        name: 'web',
        scheduler: 'least-connections',
        servers: [a, b].map((o, i) =>
          expect.objectContaining({ name: `web-${i + 1}`, url: o.url, weight: 1, available: true, flags: [], active_requests: 0 }),
        ),
      },
    ]);
  });

  it('shows flags and live active request counts', async () => {
    const { origin, bw } = await h.proxied(() => {}); // never answers
    const client = h.client(bw.url);
    const pending = client.request({ path: '/slow', method: 'GET' }).catch(() => undefined);
    await waitFor(() => origin.requests.length === 1, 3000, 'the request at the origin');
    expect((await status(bw.adminUrl)).upstreams[0]!.servers[0]).toMatchObject({ active_requests: 1, available: true });
    disableAll(bw);
    expect((await status(bw.adminUrl)).upstreams[0]!.servers[0]).toMatchObject({ available: false, flags: ['disabled'] });
    await client.destroy();
    await pending;
  });

  it('answers 405 with Allow to a POST /status', async () => {
    const { bw } = await h.proxied();
    const r = await send(bw.adminUrl, { method: 'POST', path: '/status', body: '{}' });
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toMatch(/GET/);
  });

  it('answers 404 to an unknown admin path', async () => {
    const { bw } = await h.proxied();
    expect((await send(bw.adminUrl, { path: '/nope' })).status).toBe(404);
  });

  it('is not reachable through the proxy listener', async () => {
    const { origin, bw } = await h.proxied((_req, res) => res.end('from origin'));
    const r = await send(bw.url, { path: '/status' });
    expect(r.text).toBe('from origin');
    expect(origin.requests).toHaveLength(1);
  });
});
