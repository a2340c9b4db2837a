/**
 * @module test/integration/proxy-protocol-attack.test
 * Spoofing through a proxy_protocol listener, with raw `net` writes and checks of what the
 * origin received: a client's own PROXY line behind the balancer's header is never read as
 * a second header; a client's X-Forwarded-For behind a header naming an untrusted source is
 * replaced; a header dribbled a byte at a time is cut at the head timeout (not re-armed per
 * byte); a v2 header announcing 64 KiB of TLVs is refused from its first 16 bytes.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { useCerts } from '../helpers/certs.js';
import { routedConfig, useHarness, waitAccess } from '../helpers/harness.js';
import { rawValues, waitFor, withTimeout } from '../helpers/net.js';

const V1 = 'PROXY TCP4 203.0.113.7 10.0.0.1 40000 8080\r\n';
const certs = useCerts('bulwark-pp-attack-', { site: {} });

/** Upstream "web" on `origin` behind a proxy_protocol listener (with `listener`'s other keys) that trusts 127.0.0.1. */
function config(origin: string, listener = ''): string {
  const yaml = routedConfig({ web: [origin] }, [{ upstream: 'web' }], { front: { timeouts: { headers: '1s', keep_alive: '1s' } } });
  return `${yaml.replace(/^listen: .*$/m, `listen: [{ address: "127.0.0.1:0", proxy_protocol: true${listener} }]`)}trusted_proxies: [127.0.0.1]\n`;
}

describe('proxy_protocol spoofing', () => {
  const h = useHarness();
  async function setup() {
    const seen: Array<{ url: string; xff: string[] }> = [];
    const origin = await h.origin((req, res) => {
      seen.push({ url: req.url ?? '', xff: rawValues(req.rawHeaders, 'x-forwarded-for') });
      res.end('ok');
    });
    return { bw: await h.bulwark(config(origin.url)), seen };
  }

  it('frees connections that stall right after the header: plain, h2c, and TLS with a ClientHello never finished', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const tlsKeys = `, tls: { cert: "${certs.site.cert}", key: "${certs.site.key}" }`;
    // A ClientHello record header announcing 512 bytes, and only 20 of them.
    const partialHello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), Buffer.alloc(9, 1)]);
    for (const [listener, after] of [['', ''], [', http2: true', ''], [', http2: true', 'PRI * HTTP/2.0\r\n'], [tlsKeys, ''], [tlsKeys, partialHello], [`${tlsKeys}, http2: true`, partialHello]] as const) {
      const bw = await h.bulwark(config(origin.url, listener));
      const s = net.connect(bw.port, '127.0.0.1');
      h.defer(() => s.destroy());
      s.on('error', () => {});
      s.write(Buffer.concat([Buffer.from(V1), Buffer.from(after)])); // and reads nothing
      const server = bw.app.listeners.servers[0]!;
      const count = (): Promise<number> => new Promise((resolve) => server.getConnections((_e, n) => resolve(n)));
      let open = 0;
      // Accepted first (every timeout here is a second or more), then freed.
      for (let i = 0; i < 200 && open === 0; i++) {
        open = await count();
        if (open === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(open).toBe(1);
      const deadline = Date.now() + 15_000;
      while (open > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        open = await count();
      }
      expect([listener, after.length, open]).toEqual([listener, after.length, 0]);
    }
  }, 60_000);

  it("never reads a client's own PROXY line behind the balancer's header", async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.write(`${V1}PROXY TCP4 6.6.6.6 10.0.0.1 1 80\r\nGET /a HTTP/1.1\r\nHost: t\r\n\r\n`);
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    expect(conn.data).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen).toEqual([]);
  });

  it("replaces a client's X-Forwarded-For behind a header naming an untrusted source", async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    const r = await conn.request(`${V1}GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 127.0.0.1, 6.6.6.6\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(seen).toEqual([{ url: '/a', xff: ['203.0.113.7'] }]);
    expect((await waitAccess(bw, 1))[0]!['client']).toBe('203.0.113.7');
  });

  it('cuts a header dribbled a byte at a time at the head timeout', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    const bytes = Buffer.from(V1);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < bytes.length - 1 && !conn.isClosed) conn.write(bytes.subarray(sent, ++sent));
    }, 100);
    h.defer(() => clearInterval(timer));
    // At most ten bytes a second, 44 to send, against a one-second budget: never whole.
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    clearInterval(timer);
    expect(sent).toBeLessThan(bytes.length - 1);
    expect([conn.data, seen]).toEqual(['', []]);
  });

  it('refuses a v2 header announcing 64 KiB from its first 16 bytes', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    const head = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0xff, 0xff]);
    conn.write(head);
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    expect([conn.data, seen]).toEqual(['', []]);
    await waitFor(() => bw.logs.some((l) => l['event'] === 'proxy_protocol_refused' && String(l['reason']).includes('longer than')), 10_000, 'the refusal logged');
  });
});
