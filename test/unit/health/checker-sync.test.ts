/**
 * @module test/unit/health/checker-sync.test
 * HealthChecker across a hot reload: sync() keeps the counters and schedule of kept
 * servers, checks new ones at once, stops checking removed ones without touching their
 * flag; and a checker taking over a server already flagged failed_health_check keeps it
 * down until `rise` checks pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../helpers/clock.js';
import type { Server } from '../../../src/core/server.js';
import type { HealthChecker } from '../../../src/health/index.js';
import { checkConfig, checkerFor, closeAll, closed, httpOrigin, nextResult, serverFor, switchable, T0, until } from './fixtures.js';

afterEach(closeAll);

/** Lets real I/O run for a moment (to show that nothing happens). */
const settle = () => new Promise((r) => setTimeout(r, 50));

/** Advances `clock` by `ms` and awaits the check of `server` that it fires. */
async function advanceFor(clock: ManualClock, checker: HealthChecker, server: Server, ms: number): Promise<void> {
  const next = nextResult(checker, server);
  clock.advance(ms);
  await next;
}

/** Server a on an origin answering `badStatus`, server b on a healthy one, and a ManualClock. */
async function badAndGood(badStatus: number) {
  const bad = await switchable();
  bad.status.code = badStatus;
  const good = await switchable();
  return { bad, good, clock: new ManualClock(T0), a: serverFor(bad.url, 'a'), b: serverFor(good.url, 'b') };
}

function failedSince(server: Server, reason: string): void {
  server.setFlag('failed_health_check', reason, T0 - 60_000);
}

describe('HealthChecker sync()', () => {
  it('keeps a kept server counting towards `fall` and checks a new server at once', async () => {
    const { good, clock, a, b } = await badAndGood(503);
    const checker = checkerFor([a], checkConfig({ fall: 3 }), clock);
    const first = nextResult(checker, a);
    checker.start();
    await first;
    await advanceFor(clock, checker, a, 1000);
    expect(checker.state(a)?.consecutiveFailures).toBe(2);
    expect(checker.state(b)).toBeUndefined();

    const bChecked = nextResult(checker, b);
    checker.sync([a, b]);
    await bChecked; // at once: the clock has not moved
    expect(good.requests).toHaveLength(1);
    expect(checker.state(b)).toMatchObject({ consecutiveSuccesses: 1, lastCheckAt: T0 + 1000 });
    expect(checker.state(a)?.consecutiveFailures).toBe(2);
    expect(clock.pendingTimers).toBe(2);

    await advanceFor(clock, checker, a, 1000); // a's fast_interval timer from before the sync
    expect(a.flags.get('failed_health_check')?.reason).toBe('3 consecutive check failures: HTTP 503 (expected 200-399)');
    expect(b.available).toBe(true);
  });

  it('stops checking a removed server and leaves its flag set', async () => {
    const { bad, clock, a, b } = await badAndGood(500);
    const checker = checkerFor([a, b], checkConfig({ fall: 1 }), clock);
    const results: string[] = [];
    checker.onResult((r) => results.push(r.server.name));
    checker.start();
    await until(() => results.length === 2);
    expect(a.hasFlag('failed_health_check')).toBe(true);
    expect(clock.pendingTimers).toBe(2);

    checker.sync([b]);
    expect(clock.pendingTimers).toBe(1);
    expect(checker.state(a)).toBeUndefined();
    bad.status.code = 200;
    for (let i = 0; i < 3; i++) await advanceFor(clock, checker, b, 5000);
    await settle();
    expect(bad.requests).toHaveLength(1);
    expect(results.filter((n) => n === 'a')).toHaveLength(1);
    expect(a.hasFlag('failed_health_check')).toBe(true);
  });

  it('aborts the in-flight probe of a removed server and drops its result', async () => {
    const hung = await httpOrigin(() => {}); // never answers
    const clock = new ManualClock(T0);
    const a = serverFor(hung.url, 'a');
    const checker = checkerFor([a], checkConfig({ timeout: 60_000, fall: 1 }), clock);
    const results: string[] = [];
    checker.onResult((r) => results.push(r.detail));
    checker.start();
    await until(() => hung.requests.length === 1);
    checker.sync([]);
    await closed(hung.sockets[0]!);
    await settle();
    expect(results).toEqual([]);
    expect(a.available).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is idempotent, and before start() only adds servers, which start() then checks', async () => {
    const origin = await switchable();
    const clock = new ManualClock(T0);
    const a = serverFor(origin.url, 'a');
    const b = serverFor(origin.url, 'b');
    const checker = checkerFor([a], checkConfig(), clock);
    checker.sync([a, b]);
    await settle();
    expect(origin.requests).toHaveLength(0);
    expect(checker.state(b)).toEqual({ consecutiveSuccesses: 0, consecutiveFailures: 0, lastDetail: '', lastCheckAt: 0 });

    const results: string[] = [];
    checker.onResult((r) => results.push(r.server.name));
    checker.start();
    await until(() => results.length === 2);
    checker.sync([a, b]);
    checker.sync([b, a]);
    await settle();
    expect(origin.requests).toHaveLength(2);
    expect(clock.pendingTimers).toBe(2);
    expect(checker.state(a)?.consecutiveSuccesses).toBe(1);
  });

  it('does nothing once stopped', async () => {
    const origin = await switchable();
    const clock = new ManualClock(T0);
    const checker = checkerFor([], checkConfig(), clock);
    checker.start();
    checker.stop();
    const a = serverFor(origin.url, 'a');
    checker.sync([a]);
    await settle();
    expect(origin.requests).toHaveLength(0);
    expect(checker.state(a)).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('HealthChecker taking over a server already failed_health_check', () => {
  it('keeps it down until `rise` checks pass, then clears the flag it did not set', async () => {
    const origin = await switchable();
    origin.status.code = 503;
    const clock = new ManualClock(T0);
    const a = serverFor(origin.url, 'a');
    failedSince(a, 'set by the previous checker');
    const events: string[] = [];
    a.onFlagChange((c) => events.push(`${c.set ? '+' : '-'}${c.reason}`));
    const checker = checkerFor([a], checkConfig({ rise: 2, fall: 1 }), clock);
    const first = nextResult(checker, a);
    checker.start();
    await first; // failing while down: the flag is not set again
    expect(events).toEqual([]);
    origin.status.code = 200;
    await advanceFor(clock, checker, a, 5000);
    expect(a.hasFlag('failed_health_check')).toBe(true);
    await advanceFor(clock, checker, a, 1000); // fast_interval: counting towards rise
    expect(a.available).toBe(true);
    expect(events).toEqual(['-2 consecutive checks passed: HTTP 200']);
  });

  it('reads the flag at start(): one set after construction (by the checker it replaces) counts', async () => {
    const origin = await switchable();
    const clock = new ManualClock(T0);
    const a = serverFor(origin.url, 'a');
    const checker = checkerFor([a], checkConfig({ rise: 2 }), clock);
    failedSince(a, 'set by the previous checker');
    const first = nextResult(checker, a);
    checker.start();
    await first;
    expect(a.hasFlag('failed_health_check')).toBe(true);
    await advanceFor(clock, checker, a, 1000);
    expect(a.available).toBe(true);
  });

  it('treats a flagged server added by sync() the same way', async () => {
    const origin = await switchable();
    const clock = new ManualClock(T0);
    const checker = checkerFor([], checkConfig({ rise: 3 }), clock);
    checker.start();
    const a = serverFor(origin.url, 'a');
    failedSince(a, 'set by the previous checker');
    const first = nextResult(checker, a);
    checker.sync([a]);
    await first;
    await advanceFor(clock, checker, a, 1000);
    expect(a.flags.get('failed_health_check')?.reason).toBe('set by the previous checker');
    await advanceFor(clock, checker, a, 1000);
    expect(a.available).toBe(true);
    expect(checker.state(a)?.consecutiveSuccesses).toBe(3);
  });
});
