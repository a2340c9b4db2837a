/**
 * @module test/integration/settings-schedulers.test
 * The `scheduler` values random, least-connections and p2c end to end, as the origins see
 * them, each failing if bulwark used round-robin (the default) instead. least-connections
 * and p2c are given servers with 4, 2 and 0 requests in flight (held at the origin, placed
 * there deterministically by disabling the other servers through the admin API), then
 * sequential requests: least-connections sends all of them to the idle server; p2c never
 * to the busiest (both draws would have to be it) and to the middle one only when drawn
 * with the busiest, so to both others. random must split evenly without rotating. Every
 * bound fails by chance with a probability under 1e-9. Also servers[].weight, through the
 * weighted scheduler's exact order.
 */
import { describe, expect, it } from 'vitest';
import type { TestBulwark } from '../helpers/bulwark.js';
import type { ChaosOrigin } from '../helpers/chaos-origin.js';
import { chaosOrigins, ftBulwark } from '../helpers/fault.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send, waitFor, type Reply } from '../helpers/net.js';

/** `n` GETs one after another over one keep-alive connection; the x-origin of each. */
async function sequential(h: Harness, bw: TestBulwark, n: number): Promise<string[]> {
  const client = h.client(bw.url);
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.request({ path: '/', method: 'GET' });
    await r.body.text();
    expect(r.statusCode).toBe(200);
    seen.push(String(r.headers['x-origin']));
  }
  return seen;
}

function tally(seen: readonly string[], names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, seen.filter((s) => s === n).length]));
}

async function admin(bw: TestBulwark, action: 'disable' | 'enable', names: readonly string[]): Promise<void> {
  for (const n of names) expect((await send(bw.adminUrl, { method: 'POST', path: `/servers/web/${n}/${action}` })).status).toBe(200);
}

describe('schedulers through bulwark, as the origins see them', () => {
  const h = useHarness();

  /**
   * Servers a, b, c under `scheduler` with 4, 2 and 0 requests held at their origins;
   * returns the held replies (answered by `release`).
   */
  async function loaded(scheduler: string): Promise<{ bw: TestBulwark; origins: ChaosOrigin[]; held: Array<Promise<Reply>> }> {
    const origins = await chaosOrigins(h, ['a', 'b', 'c']);
    const [a, b] = origins as [ChaosOrigin, ChaosOrigin, ChaosOrigin];
    const bw = await ftBulwark(h, origins, { scheduler });
    const held: Array<Promise<Reply>> = [];
    const hold = async (o: ChaosOrigin, n: number, others: string[]): Promise<void> => {
      o.hold();
      await admin(bw, 'disable', others);
      for (let i = 0; i < n; i++) held.push(send(bw.url));
      await waitFor(() => o.held === n, 3000, `${n} requests held at ${o.name}`);
      await admin(bw, 'enable', others);
      o.answer(); // the held ones stay held until release()
    };
    await hold(a, 4, ['b', 'c']);
    await hold(b, 2, ['a', 'c']);
    h.defer(() => origins.forEach((o) => o.release()));
    const active = bw.app.proxy.state.upstreams.get('web')!.servers.all.map((s) => s.activeRequests);
    expect(active).toEqual([4, 2, 0]);
    return { bw, origins, held };
  }

  it('least-connections sends every request to the server with the fewest in flight', async () => {
    const { bw, origins, held } = await loaded('least-connections');
    // Sequential: c has at most 1 in flight, b has 2.
    expect(tally(await sequential(h, bw, 30), ['a', 'b', 'c'])).toEqual({ a: 0, b: 0, c: 30 });
    origins.forEach((o) => o.release());
    expect((await Promise.all(held)).map((r) => r.text)).toEqual(['a', 'a', 'a', 'a', 'b', 'b']);
  });

  it('p2c picks the less loaded of two random servers: never the busiest, the middle one sometimes', async () => {
    const { bw, origins, held } = await loaded('p2c');
    // Of the 6 ordered pairs, 2 give b (drawn with a) and 4 give c: b about 20 of 60.
    const counts = tally(await sequential(h, bw, 60), ['a', 'b', 'c']);
    expect(counts.a).toBe(0); // round-robin: 20
    expect(counts.b).toBeGreaterThan(0); // least-connections: 0; p2c: none with p = (2/3)^60
    expect(counts.c).toBeGreaterThanOrEqual(15); // about 40 (sd 3.7)
    origins.forEach((o) => o.release());
    await Promise.all(held);
  });

  it('weighted with server weights 5, 1, 1 gives a, a, b, a, c, a, a (the weight key; nginx\'s order)', async () => {
    const [a, b, c] = await chaosOrigins(h, ['a', 'b', 'c']);
    const bw = await ftBulwark(h, [{ origin: a!, weight: 5 }, { origin: b! }, { origin: c! }], { scheduler: 'weighted' });
    expect((await sequential(h, bw, 14)).join('')).toBe('aabacaa'.repeat(2)); // weights ignored: abcabc...
  });

  it('random spreads requests evenly, without round-robin\'s rotation', async () => {
    const origins = await chaosOrigins(h, ['a', 'b']);
    const bw = await ftBulwark(h, origins, { scheduler: 'random' });
    const seen = await sequential(h, bw, 200);
    const counts = tally(seen, ['a', 'b']);
    // Each gets 100 ± 7 on average; below 50 is 7 standard deviations out.
    expect(counts.a).toBeGreaterThanOrEqual(50);
    expect(counts.b).toBeGreaterThanOrEqual(50);
    // Round-robin alternates a, b, a, b: no server twice in a row. Random repeats about
    // half the time (99.5 of 199 pairs, sd 7); fewer than 50 is 7 sd out.
    const repeats = seen.filter((s, i) => i > 0 && s === seen[i - 1]).length;
    expect(repeats).toBeGreaterThanOrEqual(50);
  });
});
