/**
 * A route's weighted split across upstreams (a canary) over real sockets: 1000 requests
 * land near the weights, a cookie or header keeps a client on its side, a reload that
 * changes the weights applies to the next requests, and the access log and the answered
 * counters name the upstream that served each request.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { accessLines, routedConfig, useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();

const config = (urls: Record<string, string[]>, rules: Record<string, unknown>): string => routedConfig(urls, [{ rules }]);

async function setup(rules: Record<string, unknown>) {
  const [v1, v2] = await h.namedOrigins(['v1', 'v2']);
  const urls = { v1: [v1!.url], v2: [v2!.url] };
  const bw = await h.bulwark(config(urls, rules), { watch: false });
  const client = h.client(bw.url);
  /** Which origin answered, and the split cookie set, if any. */
  const ask = async (headers: Record<string, string> = {}): Promise<{ side: string; cookie: string | undefined }> => {
    const r = await client.request({ method: 'GET', path: '/', headers });
    const side = await r.body.text();
    const set = r.headers['set-cookie'];
    return { side, cookie: Array.isArray(set) ? set.join('\n') : set };
  };
  const count = async (n: number, headers?: (i: number) => Record<string, string>): Promise<Record<string, number>> => {
    const seen: Record<string, number> = { v1: 0, v2: 0 };
    for (let i = 0; i < n; i++) seen[(await ask(headers?.(i))).side]!++;
    return seen;
  };
  return { bw, urls, ask, count };
}

const canary = (w1: number, w2: number) => [
  { upstream: 'v1', weight: w1 },
  { upstream: 'v2', weight: w2 },
];

describe('route split', () => {
  it('sends 1000 requests near 90/10, and logs and counts the upstream that served each', async () => {
    const { bw, count } = await setup({ split: canary(90, 10) });
    const seen = await count(1000);
    // Binomial(1000, 0.1): sd ~9.5, so 50..150 is over 5 sd either side.
    expect(seen['v2']).toBeGreaterThan(50);
    expect(seen['v2']).toBeLessThan(150);
    expect(seen['v1']! + seen['v2']!).toBe(1000);
    await waitFor(() => accessLines(bw).length === 1000, 10_000, '1000 access lines');
    const logged = accessLines(bw).filter((l) => l['upstream'] === 'v2').length;
    expect(logged).toBe(seen['v2']);
    const answered = (name: string): number => (bw.app.proxy.answered.get(name) ?? []).reduce((a, b) => a + b, 0);
    expect(answered('v1')).toBe(seen['v1']);
    expect(answered('v2')).toBe(seen['v2']);
  });

  it('pins a client by cookie: the first answer sets it, later requests keep their side', async () => {
    const { ask } = await setup({ split: canary(50, 50), split_sticky: 'cookie:canary' });
    const first = await ask();
    expect(first.cookie).toBe(`canary=${first.side}; Path=/; HttpOnly; SameSite=Lax`);
    for (let i = 0; i < 40; i++) {
      const r = await ask({ cookie: `other=1; canary=${first.side}` });
      expect(r.side).toBe(first.side);
      expect(r.cookie).toBeUndefined();
    }
    // A cookie naming no side of the split is drawn again and replaced.
    const forged = await ask({ cookie: 'canary=admin' });
    expect(forged.cookie).toBe(`canary=${forged.side}; Path=/; HttpOnly; SameSite=Lax`);
  });

  it('lets a cookie choose the small side of a 99/1 split', async () => {
    const { ask } = await setup({ split: canary(99, 1), split_sticky: 'cookie:canary' });
    for (let i = 0; i < 20; i++) expect((await ask({ cookie: 'canary=v2' })).side).toBe('v2');
  });

  it('pins by header: one value keeps one side, and many values spread near the weights', async () => {
    const { ask, count } = await setup({ split: canary(50, 50), split_sticky: 'header:X-User' });
    const sides = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await ask({ 'x-user': 'alice' });
      sides.add(r.side);
      expect(r.cookie).toBeUndefined();
    }
    expect(sides.size).toBe(1);
    const seen = await count(400, (i) => ({ 'x-user': `user-${i}` }));
    expect(seen['v1']).toBeGreaterThan(100);
    expect(seen['v2']).toBeGreaterThan(100);
  });

  it('applies new weights on reload; a pinned side removed from the split is drawn again', async () => {
    const { bw, urls, ask, count } = await setup({ split: canary(99, 1), split_sticky: 'cookie:canary' });
    expect((await count(100))['v1']).toBeGreaterThan(80);
    await writeFile(bw.configFile, config(urls, { split: canary(1, 99), split_sticky: 'cookie:canary' }));
    expect(await bw.app.reload('api')).toMatchObject({ result: 'applied' });
    expect((await count(100))['v2']).toBeGreaterThan(80);
    expect((await ask({ cookie: 'canary=v1' })).side).toBe('v1'); // still a side: kept
    await writeFile(bw.configFile, config(urls, { split: [{ upstream: 'v2', weight: 1 }], split_sticky: 'cookie:canary' }));
    expect(await bw.app.reload('api')).toMatchObject({ result: 'applied' });
    expect(await ask({ cookie: 'canary=v1' })).toEqual({ side: 'v2', cookie: 'canary=v2; Path=/; HttpOnly; SameSite=Lax' });
  });
});
