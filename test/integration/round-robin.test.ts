/**
 * @module test/integration/round-robin.test
 * Round-robin through the real proxy: sequential requests rotate exactly across three
 * origins, whether each request uses a fresh client connection or one keep-alive one.
 */
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

describe('round-robin through the proxy', () => {
  const h = useHarness();

  async function threeOrigins(): Promise<string> {
    const origins = await h.namedOrigins(['a', 'b', 'c']);
    const bw = await h.bulwark(simpleConfig(origins.map((o) => o.url)));
    return bw.url;
  }

  it('rotates a, b, c, a, b, c... for sequential requests on fresh connections', async () => {
    const url = await threeOrigins();
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await send(url);
      expect(r.status).toBe(200);
      expect(r.headers['x-origin']).toBe(r.text);
      seen.push(r.text);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('rotates per request, not per client connection (one keep-alive connection)', async () => {
    const url = await threeOrigins();
    const client = h.client(url);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await client.request({ path: '/', method: 'GET' });
      expect(r.statusCode).toBe(200);
      seen.push(await r.body.text());
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
