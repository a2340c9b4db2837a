/**
 * @module test/integration/fault-breaker.test
 * The circuit breaker over real sockets. Error-rate breaker: opens at the threshold, lets
 * exactly half_open_probes requests through once open_for has passed (counted at the
 * origin under a burst of concurrent requests), closes when they succeed and re-opens
 * when one fails. Concurrency limits: an overflow is refused at once with 503 and
 * Retry-After (no hang), a queued request is served when the slot frees or a server comes
 * back, and one that waits past pending_timeout gets 503.
 */
import { describe, expect, it } from 'vitest';
import type { ChaosOrigin } from '../helpers/chaos-origin.js';
import { chaosOrigins, flagEvents, ftBulwark, ftOf, serverOf, waitFlag, webStatus } from '../helpers/fault.js';
import { accessLines, useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';
import type { TestBulwark } from '../helpers/bulwark.js';

const BREAKER = { error_rate: '50%', min_requests: 4, window: '10s', open_for: '300ms', half_open_probes: 2 };

/** `n` concurrent GETs, each on its own connection; resolves with the replies. */
function burst(url: string, n: number): Promise<Array<Awaited<ReturnType<typeof send>>>> {
  return Promise.all(Array.from({ length: n }, () => send(url)));
}

/** The access log's `detail` (why bulwark answered itself) of the request for `path`. */
async function detail(bw: TestBulwark, path: string): Promise<string> {
  await waitFor(() => accessLines(bw).some((l) => l['path'] === path), 3000, `the access line of ${path}`);
  return String(accessLines(bw).find((l) => l['path'] === path)!['detail']);
}

/** Milliseconds `p` took to settle, and its value. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value: T }> {
  const t = Date.now();
  const value = await p;
  return { ms: Date.now() - t, value };
}

describe('error-rate circuit breaker', () => {
  const h = useHarness();

  /** One server that fails until its circuit opens (4 requests, all 500). */
  async function openCircuit(): Promise<{ bw: TestBulwark; o: ChaosOrigin }> {
    const [o] = await chaosOrigins(h, ['a']);
    o!.error(500);
    const bw = await ftBulwark(h, [o!], { circuit_breaker: BREAKER });
    for (let i = 0; i < 3; i++) expect((await send(bw.url)).status).toBe(500);
    expect(serverOf(bw, 'a').available).toBe(true); // 3 requests: under min_requests
    expect((await send(bw.url)).status).toBe(500);
    expect(serverOf(bw, 'a').flags.get('circuit_open')?.reason).toBe('error rate 100% over 10s (4 of 4 requests failed); open for 300ms');
    expect(ftOf(bw).breaker!.state(serverOf(bw, 'a'))).toBe('open');
    // Open: requests are answered by bulwark and never reach the server.
    const r = await send(bw.url);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(o!.proxied).toBe(4);
    return { bw, o: o! };
  }

  it('opens at the threshold, half-opens with exactly half_open_probes requests, then closes on success', async () => {
    const { bw, o } = await openCircuit();
    o.hold(); // healthy again, but the probes are answered only once the whole burst is in
    await waitFlag(bw, 'a', 'circuit_open', false); // open_for elapsed: half-open
    expect(ftOf(bw).breaker!.state(serverOf(bw, 'a'))).toBe('half_open');

    const answered: number[] = [];
    const replies = Promise.all(Array.from({ length: 20 }, () => send(bw.url).then((r) => (answered.push(r.status), r))));
    // Every request of the burst is either answered by bulwark or held at the server.
    await waitFor(() => answered.length + o.held === 20, 5000, 'the burst to be answered or held');
    expect(o.held).toBe(2); // only the 2 probes reached the server
    expect(answered).toEqual(Array(18).fill(503));
    o.release();
    expect((await replies).filter((r) => r.status === 200)).toHaveLength(2);
    expect(o.proxied).toBe(4 + 2);

    // Both probes succeeded: closed, flag gone, traffic flows.
    expect(ftOf(bw).breaker!.state(serverOf(bw, 'a'))).toBe('closed');
    const status = await webStatus(bw);
    expect(status.circuit_breaker!.states).toEqual({ a: 'closed' });
    expect(status.servers[0]).toMatchObject({ available: true, flags: [] });
    const closed = bw.logs.filter((l) => l['event'] === 'server_flag_cleared' && l['flag'] === 'circuit_open').at(-1);
    expect(closed?.['reason']).toBe('half-open: 2 probes succeeded; closed');
    o.answer();
    expect((await burst(bw.url, 5)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('re-opens when a half-open probe fails', async () => {
    const { bw, o } = await openCircuit();
    o.hold(); // the probes wait until the whole burst is in, then get 500 again
    await waitFlag(bw, 'a', 'circuit_open', false);
    const answered: number[] = [];
    const replies = Promise.all(Array.from({ length: 10 }, () => send(bw.url).then((r) => (answered.push(r.status), r))));
    await waitFor(() => answered.length + o.held === 10, 5000, 'the burst to be answered or held');
    expect(o.held).toBe(2); // the 2 probes
    expect(answered).toEqual(Array(8).fill(503));
    const reopened = new Promise<string>((r) => serverOf(bw, 'a').onFlagChange((c) => c.flag === 'circuit_open' && c.set && r(c.reason)));
    o.release({ kind: 'error', status: 500 });
    expect(await reopened).toBe('half-open probe failed: 500; open for 300ms');
    expect((await replies).filter((r) => r.status === 500)).toHaveLength(o.proxied - 4);
    // Another open_for later it half-opens again.
    await waitFlag(bw, 'a', 'circuit_open', false);
    expect(flagEvents(bw, 'a', 'circuit_open').map((l) => [l['event'], l['reason']])).toEqual([
      ['server_flag_set', 'error rate 100% over 10s (4 of 4 requests failed); open for 300ms'],
      ['server_flag_cleared', 'half-open: letting 2 probe requests through'],
      ['server_flag_set', 'half-open: 2 probes in flight'],
      ['server_flag_set', 'half-open probe failed: 500; open for 300ms'],
      ['server_flag_cleared', 'half-open: letting 2 probe requests through'],
    ]);
  });
});

describe('concurrency limits', () => {
  const h = useHarness();

  /**
   * One server `a` with max_concurrent 1 (and `breaker`), stalled or slow (`slowMs`), and
   * a first request (/first) that holds its only slot. `first` settles with its reply, or
   * undefined when it never got one.
   */
  async function busyServer(breaker: Record<string, unknown>, mode: 'stall' | 'hold' = 'stall') {
    const [o] = await chaosOrigins(h, ['a']);
    if (mode === 'stall') o!.stall();
    else o!.hold();
    const bw = await ftBulwark(h, [o!], { circuit_breaker: { max_concurrent: 1, ...breaker } }, { access: true });
    const first = send(bw.url, { path: '/first' }).catch(() => undefined);
    await waitFor(() => o!.count('/first') === 1, 3000, 'the first request at the origin');
    return { o: o!, bw, first };
  }

  it('max_concurrent 1, max_pending 0: a second concurrent request gets 503 with Retry-After at once', async () => {
    // The first request never ends; a pending_timeout of 30 s shows if the second one waited.
    const { o, bw } = await busyServer({ max_pending: 0, pending_timeout: '30s' });
    const { ms, value: r } = await timed(send(bw.url, { path: '/second' }));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(await detail(bw, '/second')).toContain('max_concurrent (1)');
    expect(ms).toBeLessThan(10_000);
    expect(o.count('/second')).toBe(0);
    expect((await webStatus(bw)).circuit_breaker).toMatchObject({ overflowed: 1, pending: 0 });
  });

  it('max_pending 1: the queued request is served when the slot frees; one more is refused at once', async () => {
    const { o, bw, first } = await busyServer({ max_pending: 1, pending_timeout: '30s' }, 'hold');
    const queued = send(bw.url, { path: '/queued' });
    await waitFor(() => serverOf(bw, 'a').activeRequests === 1 && bw.app.proxy.state.upstreams.get('web')!.pending!.length === 1, 3000, 'the queue');
    // Refused while /first is still held and /queued still waits: it waited for neither.
    const refused = await send(bw.url, { path: '/refused' });
    expect(refused.status).toBe(503);
    expect([o.held, o.count('/queued')]).toEqual([1, 0]);

    const releasedAt = Date.now();
    o.release();
    const [r1, r2] = await Promise.all([first, queued]);
    expect([r1?.status, r2.status]).toEqual([200, 200]);
    expect(o.log.map((r) => r.path)).toEqual(['/first', '/queued']);
    // The queued one reached the server only after the first had been answered.
    expect(o.log[1]!.at).toBeGreaterThanOrEqual(releasedAt);
    expect((await webStatus(bw)).circuit_breaker).toMatchObject({ overflowed: 1, pending: 0, pending_timed_out: 0 });
  });

  it('a retried 503 never pushes a server over max_concurrent', async () => {
    // a answers 503 but sends the body 300 ms after the head; b is slow. bulwark picks b for
    // the retry when a's head arrives, a second request takes b meanwhile, and when a's
    // body ends the retry must not be sent to b anyway.
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.error(503, 0, 300);
    b!.slow(400);
    const bw = await ftBulwark(h, [a!, b!], { retries: {}, circuit_breaker: { max_concurrent: 1, max_pending: 0 } });
    const web = bw.app.proxy.state.upstreams.get('web')!;
    let most = 0;
    web.observers.push({ onAttemptStart: (s) => void (most = Math.max(most, s.activeRequests)) });
    // Where the held 503 will be retried: picked (excluding a) when a's head reaches bulwark.
    let retryTo: string | undefined;
    const pick = web.pick.bind(web);
    web.pick = (ctx, exclude) => {
      const s = pick(ctx, exclude);
      if (exclude !== undefined && exclude.length > 0) retryTo ??= s?.name;
      return s;
    };
    const first = send(bw.url, { path: '/first' });
    await waitFor(() => retryTo !== undefined, 3000, "a's 503 head to reach bulwark");
    expect(retryTo).toBe('b');
    const second = send(bw.url, { path: '/second' });
    await waitFor(() => b!.count('/second') === 1, 3000, 'the second request at b');
    const [r1, r2] = await Promise.all([first, second]);
    expect(r2.status).toBe(200);
    expect([200, 503]).toContain(r1.status); // served later, or refused: either keeps the limit
    expect(most).toBe(1); // the most attempts in flight on one server
  });

  // A queued request waits for capacity; a server coming back (a flag cleared), or the
  // primaries going (which brings the backups in), gives capacity as an attempt's end does.
  it.each([
    ['a disabled server is enabled', false, '/servers/web/b/enable'],
    ['the busy primary is drained, so its idle backup takes over', true, '/servers/web/a/drain'],
  ])('a queued request is served at once when %s, not at pending_timeout', async (_, backup, action) => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.stall(); // a's only slot is held by a request that never ends
    const bw = await ftBulwark(h, [a!, { origin: b!, backup }], { circuit_breaker: { max_concurrent: 1, max_pending: 1, pending_timeout: '60s' } });
    const post = (path: string) => send(bw.adminUrl, { method: 'POST', path }).then((r) => expect(r.status).toBe(200));
    if (!backup) await post('/servers/web/b/disable');
    void send(bw.url, { path: '/first' }).catch(() => undefined);
    await waitFor(() => a!.count('/first') === 1, 3000, 'the first request at a');
    const queued = send(bw.url, { path: '/queued' }).catch((e: Error) => e);
    await waitFor(() => bw.app.proxy.state.upstreams.get('web')!.pending!.length === 1, 3000, 'the queue');
    await post(action);
    // Before, it waited out pending_timeout (60 s), since /first never ends.
    await waitFor(() => b!.count('/queued') === 1, 15_000, 'the queued request at b');
    expect(await queued).toMatchObject({ status: 200 });
    expect(a!.count('/queued')).toBe(0);
    expect((await webStatus(bw)).circuit_breaker).toMatchObject({ pending: 0, pending_timed_out: 0 });
  });

  it('a queued request still waiting after pending_timeout gets 503', async () => {
    const { o, bw } = await busyServer({ max_pending: 1, pending_timeout: '200ms' });
    const { ms, value: r } = await timed(send(bw.url, { path: '/queued' }));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(await detail(bw, '/queued')).toContain('within pending_timeout');
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(10_000); // the first request never ends: only the timeout answers this one
    expect(o.count('/queued')).toBe(0);
    expect((await webStatus(bw)).circuit_breaker).toMatchObject({ pending: 0, pending_timed_out: 1 });
  });
});
