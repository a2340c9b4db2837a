/**
 * @module test/integration/set-cookie.test
 * Repeated response fields stay separate: several Set-Cookie fields (whose values may
 * contain commas, as in Expires dates) must never be joined into one.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { rawValues, send } from '../helpers/net.js';

describe('Set-Cookie', () => {
  const h = useHarness();

  it('forwards several Set-Cookie fields as separate fields, values untouched', async () => {
    const cookies = ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly', 'c=3'];
    const { bw } = await h.proxied((_req, res) => {
      res.setHeader('set-cookie', cookies);
      res.end('ok');
    });
    const r = await send(bw.url);
    expect(r.status).toBe(200);
    expect(rawValues(r.rawHeaders, 'set-cookie')).toEqual(cookies);
    expect(r.headers['set-cookie']).toEqual(cookies);
  });

  it('puts each Set-Cookie on its own line on the wire', async () => {
    const { bw } = await h.proxied((_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2, c=3']);
      res.end('ok');
    });
    const conn = await h.raw(bw.port);
    await conn.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const lines = conn.data.split('\r\n').filter((l) => /^set-cookie:/i.test(l));
    expect(lines.map((l) => l.slice(l.indexOf(':') + 1).trim())).toEqual(['a=1', 'b=2, c=3']);
  });
});
