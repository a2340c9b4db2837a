/**
 * @module test/integration/fault-outlier.test
 * Outlier detection on real traffic: consecutive 5xx and consecutive gateway failures
 * eject a server; each repeated ejection lasts longer (base × n); max_ejection_percent
 * caps how many are out at once (detected > enforced); and bulwark's own 503s (concurrency
 * overflow) are never held against a server.
 */
import { describe, expect, it } from 'vitest';
import { chaosOrigins, flagEvents, ftBulwark, ftOf, serverOf, waitFlag, webStatus } from '../helpers/fault.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

/** Sends GETs one after the other until `done()`; returns the statuses. */
/**
 * Sends requests one after another until `done()`, for at most `ms` (a hang guard): bounded
 * by time, not by a count, since some conditions wait for a timer (an ejection ending), and
 * a fast machine sends a fixed number of requests before it fires.
 */
async function sendUntil(url: string, done: () => boolean, ms = 10_000): Promise<number[]> {
  const statuses: number[] = [];
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still not done after ${ms} ms (${statuses.length} requests)`);
    statuses.push((await send(url)).status);
    if (statuses.length % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  return statuses;
}

describe('outlier detection', () => {
  const h = useHarness();

  it('ejects a server after consecutive 5xx; the second ejection lasts longer than the first', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    b!.error(500);
    const bw = await ftBulwark(h, [a!, b!], {
      outlier_detection: { consecutive_5xx: 3, base_ejection_time: '200ms', max_ejection_time: '2s', jitter: '0%' },
    });
    const server = serverOf(bw, 'b');
    // Each change of b's `ejected` flag, with the detector's clock reading and its planned end.
    const changes: Array<{ set: boolean; at: number; until: number | undefined }> = [];
    server.onFlagChange((c) => {
      if (c.flag === 'ejected') changes.push({ set: c.set, at: c.at, until: ftOf(bw).outlier!.info(server)!.ejectedUntil });
    });
    await sendUntil(bw.url, () => server.hasFlag('ejected'));
    expect(b!.proxied).toBe(3); // round-robin: every other request went to b, the 3rd 500 ejected it

    const status = await webStatus(bw);
    const reason = status.servers.find((s) => s.name === 'b')!.flag_details['ejected']!.reason;
    expect(reason).toBe('3 consecutive 5xx responses (last: 500); ejected for 200ms (ejection #1)');
    expect(status.outlier_detection).toMatchObject({ detected: { consecutive_5xx: 1 }, enforced: { consecutive_5xx: 1 }, ejected_now: 1 });

    // While ejected, a takes everything (b stays at 3); after 200 ms b is back, fails 3 more
    // times, and is ejected again, for twice as long.
    const first = ftOf(bw).outlier!.info(server)!;
    expect(first.timesEjected).toBe(1);
    await sendUntil(bw.url, () => ftOf(bw).outlier!.info(server)!.timesEjected === 2);
    await waitFlag(bw, 'b', 'ejected', false);
    const events = flagEvents(bw, 'b', 'ejected');
    expect(events.map((e) => e['event'])).toEqual(['server_flag_set', 'server_flag_cleared', 'server_flag_set', 'server_flag_cleared']);
    expect(events.filter((e) => e['event'] === 'server_flag_cleared').map((e) => e['reason'])).toEqual(['ejection time elapsed', 'ejection time elapsed']);
    expect(events[2]!['reason']).toBe('3 consecutive 5xx responses (last: 500); ejected for 400ms (ejection #2)');

    // The plan, on the detector's own clock: 200 ms, then 400 ms (jitter 0%).
    expect(changes.map((c) => c.set)).toEqual([true, false, true, false]);
    const [set1, clear1, set2, clear2] = changes;
    expect([set1!.until! - set1!.at, set2!.until! - set2!.at]).toEqual([200, 400]);
    // Each ejection lasted at least its plan (a timer never fires early; 1 ms for rounding).
    // Only lower bounds: on a loaded machine the un-eject timer may run late.
    expect(clear1!.at - set1!.at).toBeGreaterThanOrEqual(199);
    expect(clear2!.at - set2!.at).toBeGreaterThanOrEqual(399);
    expect(b!.proxied).toBe(6); // nothing reached b while it was ejected
  });

  it('ejects a server after consecutive gateway failures (connections reset)', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    b!.reset();
    const bw = await ftBulwark(h, [a!, b!], { outlier_detection: { consecutive_gateway_failures: 2, base_ejection_time: '5s', jitter: '0%' } });
    const statuses = await sendUntil(bw.url, () => serverOf(bw, 'b').hasFlag('ejected'));
    expect(statuses.filter((s) => s === 502)).toHaveLength(2);
    expect(serverOf(bw, 'b').flags.get('ejected')!.reason).toBe('2 consecutive gateway failures (last: ECONNRESET); ejected for 5s (ejection #1)');
    // Ejected: everything goes to a now.
    for (let i = 0; i < 4; i++) expect((await send(bw.url)).text).toBe('a');
  });

  it('max_ejection_percent holds when several servers fail at once (4 servers, 50%, 3 failing: 2 ejected)', async () => {
    const origins = await chaosOrigins(h, ['a', 'b', 'c', 'd']);
    for (const o of origins.slice(1)) o.error(500);
    const bw = await ftBulwark(h, origins, {
      outlier_detection: { consecutive_5xx: 2, base_ejection_time: '10s', max_ejection_percent: '50%' },
    });
    // 40 requests: every failing server reaches 2 consecutive 5xx several times over.
    for (let i = 0; i < 40; i++) await send(bw.url);
    const status = await webStatus(bw);
    const ejected = status.servers.filter((s) => s.flags.includes('ejected')).map((s) => s.name);
    expect(ejected).toHaveLength(2);
    expect(ejected).not.toContain('a');
    const od = status.outlier_detection!;
    expect(od.ejected_now).toBe(2);
    expect(od.enforced['consecutive_5xx']).toBe(2);
    expect(od.detected['consecutive_5xx']).toBeGreaterThan(od.enforced['consecutive_5xx']!);
    // The one over the cap still takes traffic (and still fails): it is detected, not enforced.
    const overCap = origins.find((o) => o.name !== 'a' && !ejected.includes(o.name))!;
    const before = overCap.proxied;
    for (let i = 0; i < 4; i++) await send(bw.url);
    expect(overCap.proxied).toBe(before + 2);
  });

  it("bulwark's own 503s (max_concurrent overflow) eject nothing and open no circuit", async () => {
    const [a] = await chaosOrigins(h, ['a']);
    a!.hold(); // the one request let through is answered once the other 11 have been refused
    const bw = await ftBulwark(h, [a!], {
      outlier_detection: { consecutive_5xx: 1, consecutive_gateway_failures: 1 },
      circuit_breaker: { max_concurrent: 1, max_pending: 0, min_requests: 1, error_rate: '1%' },
    });
    const answered: number[] = [];
    const replies = Promise.all(Array.from({ length: 12 }, () => send(bw.url).then((r) => (answered.push(r.status), r.status))));
    await waitFor(() => answered.length + a!.held === 12, 5000, 'every request to be refused or held');
    expect([a!.held, answered]).toEqual([1, Array(11).fill(503)]);
    a!.release();
    expect((await replies).filter((s) => s === 200)).toHaveLength(1);
    expect(a!.proxied).toBe(1);
    await waitFor(() => serverOf(bw, 'a').activeRequests === 0, 3000, 'the request to finish');
    const status = await webStatus(bw);
    expect(status.servers[0]).toMatchObject({ available: true, flags: [] });
    expect(status.outlier_detection).toMatchObject({ detected: { consecutive_5xx: 0, consecutive_gateway_failures: 0 }, ejected_now: 0 });
    expect(status.circuit_breaker).toMatchObject({ states: { a: 'closed' }, overflowed: 11 });
  });
});
