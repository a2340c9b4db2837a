/**
 * @module test/integration/dashboard-live.test
 * The dashboard's /live WebSocket with a real `ws` client: the upgrade follows the admin
 * listener's Host, Origin and token rules (the token as Authorization or as the
 * `bulwark.token.<base64url>` subprotocol), a flag change is pushed without waiting for the
 * tick, ticks carry request rates and the p99 from real traffic, and stopping bulwark
 * disconnects open pages instead of waiting for them.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send, withTimeout } from '../helpers/net.js';
import { adminPost, entries, holdOrigins, startApp, webConfig, type ReloadBulwark } from '../helpers/reload.js';

const TOKEN = 'live-token';
const SLOW = 15_000;

interface Message {
  type: string;
  status: { upstreams: Array<{ name: string; servers: Array<{ name: string; flags: string[] }> }> };
  rates?: { servers: Record<string, { rps: number | null; eps: number | null }>; p99_ms: Record<string, number | null> };
}

/** An open client, its messages so far, and a wait for the first one matching. */
interface Live {
  readonly ws: WebSocket;
  next(pred: (m: Message) => boolean, what: string): Promise<Message>;
}

/** Opens /live; resolves with the client, or with the HTTP status of a refused upgrade. */
function connect(h: Harness, url: string, protocols: string[] = ['bulwark.v1'], opts: WebSocket.ClientOptions = {}): Promise<Live | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, opts);
    h.defer(() => ws.terminate());
    const messages: Message[] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as Message);
      for (const w of waiters) w();
    });
    const next = (pred: (m: Message) => boolean, what: string): Promise<Message> =>
      withTimeout(
        new Promise<Message>((done) => {
          const check = (): void => {
            const i = messages.findIndex(pred);
            if (i >= 0) (waiters.delete(check), done(messages.splice(0, i + 1).pop()!));
          };
          waiters.add(check);
          check();
        }),
        SLOW,
        what,
      );
    ws.on('open', () => resolve({ ws, next }));
    ws.on('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
    ws.on('error', reject);
  });
}

describe('dashboard WebSocket (/live)', () => {
  const h = useHarness();

  async function start(admin?: string, env?: NodeJS.ProcessEnv): Promise<ReloadBulwark> {
    const origins = await holdOrigins(h, ['a', 'b']);
    return startApp(h, webConfig(entries(origins), admin === undefined ? {} : { admin }), { watch: false, env });
  }

  it('refuses a foreign Origin or Host and other paths; pushes the status, flag changes and rates', async () => {
    const bw = await start();
    const live = `ws://127.0.0.1:${bw.adminPort}/live`;
    expect(await connect(h, live, undefined, { origin: 'http://evil.example' })).toBe(403);
    expect(await connect(h, live, undefined, { origin: `http://evil.example:${bw.adminPort}` })).toBe(403);
    expect(await connect(h, live, undefined, { headers: { host: `evil.example:${bw.adminPort}` } })).toBe(403);
    expect(await connect(h, `ws://127.0.0.1:${bw.adminPort}/status`)).toBe(404);

    const c = (await connect(h, live, undefined, { origin: `http://127.0.0.1:${bw.adminPort}` })) as Live;
    expect(c.ws.protocol).toBe('bulwark.v1');
    const first = await c.next((m) => m.type === 'status', 'the first status');
    expect(first.status.upstreams[0]!.servers.map((s) => s.name)).toEqual(['a', 'b']);

    // A flag change is pushed (a message without rates: not a tick).
    expect((await adminPost(bw.adminUrl, '/servers/web/b/drain')).status).toBe(200);
    const pushed = await c.next((m) => m.status.upstreams[0]!.servers[1]!.flags.includes('draining'), 'b draining');
    expect(pushed.rates).toBeUndefined();

    // Traffic shows up in the next ticks as a rate on a, and as the upstream's p99.
    for (let i = 0; i < 20; i++) expect((await send(bw.url, { path: '/' })).status).toBe(200);
    const tick = await c.next((m) => (m.rates?.servers['web/a']?.rps ?? 0) > 0 && m.rates?.p99_ms['web'] != null, 'a tick with a rate on a and a p99');
    expect(tick.rates!.servers['web/b']).toEqual({ rps: 0, eps: 0 });
    expect(tick.rates!.servers['web/a']!.eps).toBe(0);
    expect(tick.rates!.p99_ms['web']).toBeGreaterThan(0);
  });

  it('needs the token as Authorization or as the bulwark.token subprotocol; the page itself needs none', async () => {
    const bw = await start('listen: 127.0.0.1:0, token_env: LIVE_TOKEN', { LIVE_TOKEN: TOKEN });
    const live = `ws://127.0.0.1:${bw.adminPort}/live`;
    const carried = (t: string): string => `bulwark.token.${Buffer.from(t).toString('base64url')}`;
    // The page itself holds no data: it is served without the token, but only to this listener's Host.
    const page = await send(bw.adminUrl, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>bulwark dashboard</title>');
    expect((await send(bw.adminUrl, { path: '/', headers: { host: `evil.example:${bw.adminPort}` } })).status).toBe(403);
    expect((await send(bw.adminUrl, { path: '/status' })).status).toBe(401);
    expect(await connect(h, live)).toBe(401);
    expect(await connect(h, live, ['bulwark.v1', carried('wrong')])).toBe(401);
    expect(await connect(h, live, undefined, { headers: { authorization: 'Bearer wrong' } })).toBe(401);
    // The Host/Origin rules come first, token or not.
    expect(await connect(h, live, ['bulwark.v1', carried(TOKEN)], { origin: 'http://evil.example' })).toBe(403);

    const viaHeader = (await connect(h, live, undefined, { headers: { authorization: `Bearer ${TOKEN}` } })) as Live;
    await viaHeader.next((m) => m.type === 'status', 'a status over Authorization');
    const viaProtocol = (await connect(h, live, ['bulwark.v1', carried(TOKEN)])) as Live;
    expect(viaProtocol.ws.protocol).toBe('bulwark.v1');
    await viaProtocol.next((m) => m.type === 'status', 'a status over the token subprotocol');
  });

  it('stopping bulwark disconnects open pages instead of waiting for them', async () => {
    const bw = await start();
    const c = (await connect(h, `ws://127.0.0.1:${bw.adminPort}/live`)) as Live;
    await c.next((m) => m.type === 'status', 'the first status');
    const closed = new Promise<void>((r) => c.ws.on('close', () => r()));
    await withTimeout(bw.app.stop(200), SLOW, 'stop with a page connected');
    await withTimeout(closed, SLOW, 'the page disconnected');
  });
});
