/**
 * Issue 12 item 3 (and 12): path tricks must not bypass routes. Only `/public/` is routed;
 * each case is sent with raw bytes, and the origin's record shows what it received.
 */
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';

const h = useHarness();

async function setup() {
  const origin = await h.origin((req, res) => res.end(`origin got ${req.url}`));
  const bw = await h.bulwark(routedConfig({ web: [origin.url] }, [{ path_prefix: '/public/', upstream: 'web' }]));
  const ask = async (target: string, extra = '') => (await h.raw(bw.port)).request(`GET ${target} HTTP/1.1\r\nHost: app.test\r\n${extra}\r\n`);
  return { origin, ask };
}

describe('path normalisation before routing', () => {
  it('dot-segments, encoded dots and doubled slashes cannot leave the routed prefix', async () => {
    const { origin, ask } = await setup();
    for (const t of ['/public/../secret', '/public/%2e%2e/secret', '/public/%2E%2E/secret', '/public/.%2e/secret', '/public//..//secret', '/public/./../secret', 'http://app.test/public/../secret']) {
      expect((await ask(t)).status, t).toBe(404);
    }
    const ws = await ask('/public/../secret', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n');
    expect(ws.status).toBe(404);
    expect(origin.requests).toHaveLength(0);
  });

  it('refuses with 400 what cannot be normalised safely; the origin sees none of it', async () => {
    const { origin, ask } = await setup();
    for (const t of ['/public/x#frag', '/public/..%2fsecret', '/public%2F..%2Fsecret', '/public/..%5csecret', '/public\\..\\secret', '/public/..;/secret', '/public/%zz', '/public/%00', '/../public/x', 'http://a@internal.test/public/x', 'http://u:p@app.test/public/x']) {
      const r = await ask(t);
      expect(r.status, t).toBe(400);
      expect(r.headers['connection'], t).toBe('close');
    }
    expect(origin.requests).toHaveLength(0);
  });

  it('forwards the normalised path, with the query untouched', async () => {
    const { origin, ask } = await setup();
    const cases: Array<[string, string]> = [
      ['/public/a/../b', '/public/b'],
      ['/public//x///y', '/public/x/y'],
      ['/public/%2e/x?q=../%2e#', ''],
      ['/public/%2e/x?q=../%2e', '/public/x?q=../%2e'],
      ['/public/%7euser/caf%c3%a9', '/public/~user/caf%C3%A9'],
      ['http://app.test/public/./x', '/public/x'],
      ['/public/plain?x=1', '/public/plain?x=1'],
    ];
    for (const [sent, want] of cases) {
      const r = await ask(sent);
      if (want === '') expect(r.status).toBe(400);
      else expect(r.body, sent).toBe(`origin got ${want}`);
    }
    expect(origin.requests.map((r) => r.url)).toEqual(cases.filter(([, w]) => w !== '').map(([, w]) => w));
  });
});
