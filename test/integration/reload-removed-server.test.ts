/**
 * @module test/integration/reload-removed-server.test
 * A server removed by a reload drains: its slow in-flight request (head and 1 KiB sent,
 * the rest held at the origin) completes with the whole body after the reload; it gets no
 * new request; and its pool is closed ("pool_closed") only once that request has ended,
 * while the server that stays keeps its pool.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';
import { entries, HOLD_PATH, holdBody, holdOrigins, sleep, startApp, tally, waitVersion, webConfig } from '../helpers/reload.js';

describe('hot reload removing a server', () => {
  const h = useHarness();

  it("lets the removed server's in-flight request finish, sends it nothing new, then closes its pool", async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    const bw = await startApp(h, webConfig(entries(origins)));
    const slow = send(bw.url, { path: HOLD_PATH });
    await waitFor(() => origins.some((o) => o.held() === 1), 3000, 'the slow request at an origin');
    const victim = origins.find((o) => o.held() === 1)!;
    const keeper = origins.find((o) => o !== victim)!;

    await bw.save(webConfig(entries([keeper])), 'rename');
    await waitVersion(bw.adminUrl, 2);
    // New requests go to the keeper only.
    expect(await tally(bw.url, 20)).toEqual({ [keeper.name]: 20 });
    expect(victim.seen()).toBe(1);
    // The victim's pool stays open while its request runs (a negative check: give the
    // retirement a moment to go wrong).
    await sleep(300);
    const poolClosed = (): Array<Record<string, unknown>> => bw.events('pool_closed');
    expect(poolClosed()).toEqual([]);
    expect(victim.held()).toBe(1);

    const releasedAt = Date.now();
    victim.release();
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(holdBody(victim.name));

    await waitFor(() => poolClosed().length > 0, 3000, 'pool_closed');
    const [closed, ...more] = poolClosed();
    expect(closed).toMatchObject({ server: `web/${victim.name}` });
    expect(closed!['time'] as number).toBeGreaterThanOrEqual(releasedAt);
    expect(more).toEqual([]);
    // Still nothing new for the victim; the keeper still serves on its kept pool.
    expect(await tally(bw.url, 5)).toEqual({ [keeper.name]: 5 });
    expect(victim.seen()).toBe(1);
    expect(poolClosed()).toHaveLength(1);
  });
});
