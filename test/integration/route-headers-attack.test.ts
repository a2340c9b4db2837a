/**
 * @module test/integration/route-headers-attack.test
 * A client that spoofs its address or the fields a route's header rules own, over HTTP/1.1
 * and HTTP/2: what the origin received, byte for byte (a raw origin), and what the access
 * log says. With no trusted_proxies, every X-Forwarded-For, Forwarded and look-alike the
 * client sends is gone, `${client_ip}` is the peer, a field a rule sets arrives once
 * whatever case or copies the client used, and a removed response field is gone in every
 * case it came in.
 */
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness, waitAccess } from '../helpers/harness.js';
import { h2Request, h2Session, h2c } from '../helpers/h2.js';
import { waitFor } from '../helpers/net.js';

/** The head lines one request brought to the origin (lower-cased names), in order. */
type Head = Array<[string, string]>;

describe('header spoofing against route rules', () => {
  const h = useHarness();

  async function setup(http2: boolean) {
    const heads: Head[] = [];
    const origin = await h.rawOrigin((s: net.Socket) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = buf.slice(0, end).split('\r\n').slice(1);
        heads.push(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        buf = buf.slice(end + 4);
        s.write('HTTP/1.1 200 OK\r\nServer: a\r\nSERVER: b\r\nserver: c\r\nX-Powered-By: x\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    const headers = { request: { set: { 'X-Real-IP': '${client_ip}' }, remove: ['X-Internal-User'] }, response: { remove: ['Server', 'x-powered-by'] } };
    const yaml = routedConfig({ web: [origin.url] }, [{ upstream: 'web', rules: { headers } }]);
    const bw = await h.bulwark(http2 ? h2c(yaml) : yaml);
    return { heads, bw };
  }

  const spoof: Array<[string, string]> = [
    ['X-Forwarded-For', '6.6.6.6'],
    ['x-forwarded-for', '6.6.6.7'],
    ['Forwarded', 'for=6.6.6.8'],
    ['X_Forwarded_For', '6.6.6.9'],
    ['X-Real-IP', '6.6.6.10'],
    ['X-REAL-IP', '6.6.6.11'],
    ['X_Real_IP', '6.6.6.12'],
    ['X-Internal-User', 'admin'],
    ['x-internal-user', 'admin'],
    ['X_Internal_User', 'admin'],
  ];

  function check(head: Head): void {
    const values = (n: string) => head.filter(([k]) => k === n).map(([, v]) => v);
    expect(values('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(values('x-real-ip')).toEqual(['127.0.0.1']);
    expect(values('forwarded')).toEqual([]);
    expect(values('x-internal-user')).toEqual([]);
    expect(head.filter(([k]) => k.includes('_'))).toEqual([]);
    expect(head.map(([, v]) => v).join(' ')).not.toMatch(/6\.6\.6|admin/);
  }

  it('over HTTP/1.1', async () => {
    const { heads, bw } = await setup(false);
    const c = await h.raw(bw.port);
    // Connection naming X-Real-IP must not remove the field the rule sets either.
    const r = await c.request(`GET / HTTP/1.1\r\nHost: t\r\nConnection: X-Real-IP, X-Forwarded-For\r\n${spoof.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.headers).filter((n) => n === 'server' || n === 'x-powered-by')).toEqual([]);
    expect(c.data).not.toMatch(/^server:/im);
    check(heads[0]!);
    const [line] = await waitAccess(bw, 1);
    expect(line!['client']).toBe('127.0.0.1');
  });

  it('over HTTP/2', async () => {
    const { heads, bw } = await setup(true);
    const s = await h2Session(h, bw.url);
    const fields: Record<string, string | string[]> = { ':path': '/', ':authority': 't' };
    for (const [n, v] of spoof) {
      const k = n.toLowerCase();
      fields[k] = fields[k] === undefined ? v : [...([] as string[]).concat(fields[k]!), v];
    }
    const r = await h2Request(s, fields);
    expect(r.status).toBe(200);
    expect(r.headers['server']).toBeUndefined();
    expect(r.headers['x-powered-by']).toBeUndefined();
    await waitFor(() => heads.length === 1, 10_000, 'the request at the origin');
    check(heads[0]!);
    const [line] = await waitAccess(bw, 1);
    expect(line!['client']).toBe('127.0.0.1');
  });
});
