/**
 * @module test/integration/settings-sticky.test
 * sticky.ttl and sticky.max_entries through the whole App, each failing when the key is
 * ignored (30m and 100000 used instead); mode and name have their tests in sticky.test.ts.
 * ttl: the session cookie's Max-Age is the ttl, and an idle pin is gone once its ttl has
 * passed (waited for as an event: the pin's expiry in the table), after which the session
 * is pinned again wherever the scheduler sends it. max_entries: a third session evicts the
 * least recently used pin. Round-robin over a and b makes every unpinned pick predictable.
 */
import { describe, expect, it } from 'vitest';
import { simpleConfig, type TestBulwark } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

describe('sticky settings', () => {
  const h = useHarness();

  async function sticky(block: string): Promise<TestBulwark> {
    const origins = await h.namedOrigins(['a', 'b']);
    return h.bulwark(simpleConfig(origins.map((o) => o.url), { upstream: `    sticky: ${block}` }));
  }
  const tableOf = (bw: TestBulwark) => bw.app.proxy.state.upstreams.get('web')!.affinity!.table;
  /** The server that answered a request with session header x-session: `id`. */
  const as = async (bw: TestBulwark, id: string): Promise<string> => (await send(bw.url, { headers: { 'x-session': id } })).text;

  it('ttl: 90s is the Max-Age of the session cookie (cookie mode)', async () => {
    const bw = await sticky('{ ttl: 90s }');
    const r = await send(bw.url);
    expect(r.headers['set-cookie']).toEqual([expect.stringMatching(/^bulwark_sid=[^;]+; .*Max-Age=90$/)]);
  });

  it('ttl: 1s forgets an idle pin after 1 s; the session is then pinned where the scheduler picks', async () => {
    const bw = await sticky('{ mode: header, name: x-session, ttl: 1s }');
    const table = tableOf(bw);
    expect(await as(bw, 's1')).toBe('a'); // round-robin's first pick, now s1's pin
    const answered = Date.now();
    expect(table.peek('s1')).toBe('web-1'); // a's server name
    // Set while the request was served, so at most 1 s from now (30 min with the default).
    expect(table.expiresAt('s1')).toBeLessThanOrEqual(answered + 1001);
    await waitFor(() => table.expiresAt('s1') === undefined, 5000, "s1's pin to expire");
    expect(await as(bw, 's1')).toBe('b'); // round-robin's next pick; a pinned s1 would get a
    expect(table.peek('s1')).toBe('web-2'); // b's
  });

  it('max_entries: 2 keeps two pins: a third session evicts the least recently used', async () => {
    const bw = await sticky('{ mode: header, name: x-session, max_entries: 2 }');
    const seen: string[] = [];
    // A pinned request skips the scheduler, so round-robin's next pick stays as it was.
    for (const id of ['s1', 's2', 's2', 's3']) seen.push(await as(bw, id));
    // s2 again went to its pin b (round-robin said a); s3 then took s1's place.
    expect(seen).toEqual(['a', 'b', 'b', 'a']);
    expect(tableOf(bw).size).toBe(2);
    expect(tableOf(bw).peek('s1')).toBeUndefined();
    expect(await as(bw, 's1')).toBe('b'); // round-robin's pick; with its pin kept: a
  });
});
