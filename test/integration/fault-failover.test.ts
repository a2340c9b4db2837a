/**
 * @module test/integration/fault-failover.test
 * Killing one of three servers under steady load. With retries on (default conditions) and
 * health checks, no client ever sees a failure. Without retries, failures are confined to
 * the detection window (fall × interval + timeout, plus a margin), and the server rejoins
 * after `rise` passing checks once it listens again on the same port.
 */
import { describe, expect, it } from 'vitest';
import { FAST_CHECKS, chaosOrigins, failures, flagEvents, ftBulwark, recordAttempts, serverOf, sleep, waitFlag, webStatus } from '../helpers/fault.js';
import { useHarness } from '../helpers/harness.js';
import { autocannonChild, startLoadChild } from '../helpers/load-child.js';
import { waitFor } from '../helpers/net.js';

describe('failover when a server dies under load', () => {
  const h = useHarness();

  it('with retries on (defaults), killing one of three servers mid-load fails no GET (autocannon, 50 connections)', async () => {
    const [a, b, c] = await chaosOrigins(h, ['a', 'b', 'c']);
    // Checks every second (50 ms apart while a server changes state), each with 1 s to
    // answer: with 50 connections on a loaded machine, 100 ms timeouts fail healthy servers.
    const bw = await ftBulwark(h, [a!, b!, c!], { health_check: { ...FAST_CHECKS, interval: '1s', timeout: '1s' }, retries: {} });
    const attempts = recordAttempts(bw);
    // The load runs in a child process: in this one it would hold up the health checks.
    const run = autocannonChild(h, { url: `${bw.url}/`, connections: 50, duration: 5 });
    await waitFor(() => b!.proxied >= 100, 5000, 'b to take its share of the load');
    // Steady load first: the retry budget is 20% of the last 10 s of requests, and until
    // b is marked down a third of them fail over. With 1.5 s of load behind it the budget
    // covers a detection of up to about 2 s whatever the request rate (a loaded machine
    // is slower, not differently shaped); killed after a few hundred requests, it did not.
    await sleep(1500);
    const beforeKill = b!.proxied;
    const killedAt = Date.now();
    await b!.kill(); // RST on every connection, then connections refused
    const result = await run;

    expect(beforeKill).toBeGreaterThan(0); // b took its share before it died
    expect(result.requests.total).toBeGreaterThan(300);
    // (Status codes, the budget and the detection time are in the object so a failure explains itself.)
    const markedDown = Number(flagEvents(bw, 'b', 'failed_health_check')[0]?.['time']);
    const seen = { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, budget_exhausted: (await webStatus(bw)).retries!.budget_exhausted };
    expect({ ...seen, codes: result.statusCodeStats, detect_ms: markedDown - killedAt }).toMatchObject({ non2xx: 0, errors: 0, timeouts: 0, budget_exhausted: 0 });
    expect(serverOf(bw, 'b').flags.get('failed_health_check')?.reason).toMatch(/^3 consecutive check failures: connect ECONNREFUSED/);
    // The kill really hit live traffic: attempts on b failed (reset in flight, then refused),
    // and every one of them was retried elsewhere, since no client saw a failure.
    const failedOnB = attempts.filter((x) => x.server === 'b' && x.outcome.result !== 'response' && x.outcome.result !== 'cancelled');
    expect(failedOnB.length).toBeGreaterThan(0);
    expect(new Set(failedOnB.map((x) => x.outcome.result))).toContain('connect_failure');
  });

  it('without retries, failures stop within fall × interval + timeout of the kill; the server rejoins after rise checks', async () => {
    const [a, b, c] = await chaosOrigins(h, ['a', 'b', 'c']);
    const bw = await ftBulwark(h, [a!, b!, c!], { health_check: FAST_CHECKS });
    const load = startLoadChild(h, bw.url, 12);
    await waitFor(() => b!.proxied >= 20, 5000, 'b to take its share of the load');
    const killedAt = Date.now();
    await b!.kill();
    await waitFlag(bw, 'b', 'failed_health_check');
    const detectedAt = Date.now();
    await sleep(300);

    // Down: /status says why.
    const down = (await webStatus(bw)).servers.find((s) => s.name === 'b')!;
    expect(down).toMatchObject({ available: false, flags: ['failed_health_check'] });
    expect(down.flag_details['failed_health_check']!.reason).toMatch(/^3 consecutive check failures: connect ECONNREFUSED/);

    const restoredAt = Date.now();
    await b!.restore();
    await waitFlag(bw, 'b', 'failed_health_check', false);
    const rejoinedAt = Date.now();
    await waitFor(() => load.records.some((r) => r.origin === 'b' && r.start > rejoinedAt), 3000, 'traffic to reach b again');
    const records = await load.stop();

    // 3 × 100 ms + 100 ms, plus 500 ms of margin for a loaded machine.
    const bound = killedAt + 3 * 100 + 100 + 500;
    const failed = failures(records);
    expect(failed.length).toBeGreaterThan(0); // no retries: the kill is visible...
    expect(failed.filter((r) => r.end > bound)).toEqual([]); // ...but only until b is marked down
    expect(detectedAt).toBeLessThan(bound);
    expect(failed.every((r) => r.status === 502 || r.error !== '')).toBe(true);
    // Nothing but the kill window failed, and the other servers carried everything meanwhile.
    expect(records.filter((r) => r.start > detectedAt && r.end < restoredAt && r.origin !== 'a' && r.origin !== 'c')).toEqual([]);

    // Up again: rise (2) passing checks; the flag and its log line say so.
    const up = (await webStatus(bw)).servers.find((s) => s.name === 'b')!;
    expect(up).toMatchObject({ available: true, flags: [], flag_details: {} });
    const cleared = flagEvents(bw, 'b', 'failed_health_check').find((l) => l['event'] === 'server_flag_cleared');
    expect(cleared?.['reason']).toMatch(/^2 consecutive checks passed: HTTP 200/);
    expect(rejoinedAt - restoredAt).toBeLessThan(2000);
  });
});
