/**
 * @module test/unit/health/checker.test
 * HealthChecker's state machine and scheduling against a real http origin, with a
 * ManualClock for the intervals: rise/fall, count resets, fastinter, jitter, no overlap,
 * and stop() cancelling timers and in-flight probes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TimerHandle } from '../../../src/core/clock.js';
import { ManualClock, seededRandom } from '../../helpers/clock.js';
import type { FlagChange } from '../../../src/core/server.js';
import { HealthChecker, jittered } from '../../../src/health/index.js';
import {
  advanceAndCheck,
  checkConfig,
  closeAll,
  closed,
  httpOrigin,
  nextResult,
  rig,
  serverFor,
  switchable,
  T0,
  until,
  type Rig,
} from './fixtures.js';

afterEach(closeAll);

async function started(r: Rig): Promise<void> {
  const first = nextResult(r.checker);
  r.checker.start();
  await first;
}

/** Asserts the next check fires exactly `ms` after the previous one completed. */
async function expectNextAfter(r: Rig, ms: number): Promise<void> {
  const before = r.results.length;
  r.clock.advance(ms - 1);
  expect(r.clock.pendingTimers).toBe(1);
  expect(r.results.length).toBe(before);
  await advanceAndCheck(r, 1);
}

function flagChanges(r: Rig): FlagChange[] {
  const changes: FlagChange[] = [];
  r.server.onFlagChange((c) => changes.push(c));
  return changes;
}

describe('HealthChecker rise/fall', () => {
  it('sets failed_health_check after `fall` consecutive failures, with the last detail', async () => {
    const { url, status } = await switchable();
    status.code = 503;
    const r = rig(url, checkConfig({ fall: 3 }));
    const changes = flagChanges(r);
    await started(r);
    expect(r.server.available).toBe(true);
    expect(r.checker.state(r.server)).toMatchObject({ consecutiveFailures: 1, consecutiveSuccesses: 0 });
    await advanceAndCheck(r, 1000);
    expect(r.server.available).toBe(true);
    const third = await advanceAndCheck(r, 1000);
    expect(third).toMatchObject({ ok: false, detail: 'HTTP 503 (expected 200-399)', server: r.server });
    expect(r.server.hasFlag('failed_health_check')).toBe(true);
    expect(changes).toEqual([
      { server: r.server, flag: 'failed_health_check', set: true, reason: '3 consecutive check failures: HTTP 503 (expected 200-399)', at: T0 + 2000 },
    ]);
    expect(r.server.flags.get('failed_health_check')?.since).toBe(T0 + 2000);
  });

  it('clears the flag after `rise` consecutive successes', async () => {
    const { url, status } = await switchable();
    status.code = 500;
    const r = rig(url, checkConfig({ fall: 1, rise: 2 }));
    const changes = flagChanges(r);
    await started(r);
    expect(r.server.hasFlag('failed_health_check')).toBe(true);
    status.code = 200;
    await advanceAndCheck(r, 5000);
    expect(r.server.hasFlag('failed_health_check')).toBe(true);
    expect(r.checker.state(r.server)).toMatchObject({ consecutiveSuccesses: 1, consecutiveFailures: 0 });
    await advanceAndCheck(r, 1000);
    expect(r.server.available).toBe(true);
    expect(changes.map((c) => [c.set, c.reason, c.at])).toEqual([
      [true, '1 consecutive check failures: HTTP 500 (expected 200-399)', T0],
      [false, '2 consecutive checks passed: HTTP 200', T0 + 6000],
    ]);
  });

  it('resets the failure count on a success, and the success count on a failure', async () => {
    const { url, status } = await switchable();
    const r = rig(url, checkConfig({ fall: 3, rise: 2 }));
    status.code = 503;
    await started(r);
    await advanceAndCheck(r, 1000);
    expect(r.checker.state(r.server)?.consecutiveFailures).toBe(2);
    status.code = 200;
    await advanceAndCheck(r, 1000);
    expect(r.checker.state(r.server)).toMatchObject({ consecutiveFailures: 0, consecutiveSuccesses: 1 });
    status.code = 503;
    await advanceAndCheck(r, 5000);
    await advanceAndCheck(r, 1000);
    expect(r.server.available).toBe(true);
    expect(r.checker.state(r.server)).toMatchObject({ consecutiveFailures: 2, consecutiveSuccesses: 0 });
    await advanceAndCheck(r, 1000);
    expect(r.server.hasFlag('failed_health_check')).toBe(true);
  });

  it('records the last detail and completion time per server, undefined for unknown servers', async () => {
    const { url } = await switchable();
    const r = rig(url, checkConfig());
    expect(r.checker.state(r.server)).toEqual({ consecutiveSuccesses: 0, consecutiveFailures: 0, lastDetail: '', lastCheckAt: 0 });
    await started(r);
    await advanceAndCheck(r, 5000);
    expect(r.checker.state(r.server)).toEqual({ consecutiveSuccesses: 2, consecutiveFailures: 0, lastDetail: 'HTTP 200', lastCheckAt: T0 + 5000 });
    expect(r.checker.state(serverFor(url, 'other'))).toBeUndefined();
  });

  it('checks every server at start, each on its own counters', async () => {
    const good = await switchable();
    const bad = await switchable();
    bad.status.code = 503;
    const servers = [serverFor(good.url, 'good'), serverFor(bad.url, 'bad')];
    const checker = new HealthChecker(servers, checkConfig({ fall: 1 }), { clock: new ManualClock(T0), random: seededRandom(1) });
    const seen: string[] = [];
    checker.onResult((res) => seen.push(`${res.server.name} ${res.detail}`));
    checker.start();
    checker.start();
    await until(() => seen.length === 2);
    checker.stop();
    expect(seen.sort()).toEqual(['bad HTTP 503 (expected 200-399)', 'good HTTP 200']);
    expect(servers.map((s) => s.available)).toEqual([true, false]);
  });
});

describe('HealthChecker scheduling', () => {
  it('uses fast_interval while between states and interval otherwise', async () => {
    const { url, status } = await switchable();
    const r = rig(url, checkConfig({ interval: 5000, fast_interval: 1000, fall: 2, rise: 2 }));
    await started(r); // up, steady
    await expectNextAfter(r, 5000);
    status.code = 503;
    await expectNextAfter(r, 5000); // 1 failure of 2: transitioning
    await expectNextAfter(r, 1000); // 2 failures: down, steady
    expect(r.server.available).toBe(false);
    await expectNextAfter(r, 5000); // still failing while down: steady
    status.code = 200;
    await expectNextAfter(r, 5000); // 1 success of 2: transitioning
    await expectNextAfter(r, 1000); // up again
    expect(r.server.available).toBe(true);
    await expectNextAfter(r, 5000);
  });

  it('jitters each delay within interval × (1 ± jitter)', async () => {
    const random = seededRandom(42);
    const delays = Array.from({ length: 2000 }, () => jittered(1000, 0.2, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1200);
    expect(Math.min(...delays)).toBeLessThan(820);
    expect(Math.max(...delays)).toBeGreaterThan(1180);
    expect(jittered(1000, 0.5, () => 0)).toBe(500);
    expect(jittered(1000, 0.5, () => 0.999999)).toBe(1500);
    expect(jittered(1000, 0, Math.random)).toBe(1000);

    class RecordingClock extends ManualClock {
      readonly delays: number[] = [];
      override setTimeout(fn: () => void, ms: number): TimerHandle {
        this.delays.push(ms);
        return super.setTimeout(fn, ms);
      }
    }
    const clock = new RecordingClock(T0);
    const { url } = await switchable();
    const r = rig(url, checkConfig({ interval: 5000, jitter: 0.1 }), clock);
    await started(r);
    for (let i = 0; i < 5; i++) await advanceAndCheck(r, 5500);
    expect(clock.delays).toHaveLength(6);
    for (const d of clock.delays) expect(d).toSatisfy((x: number) => x >= 4500 && x <= 5500);
    expect(new Set(clock.delays).size).toBeGreaterThan(1);
  });

  it('never overlaps checks of one server: a slow probe is not re-run while in flight', async () => {
    const origin = await httpOrigin(() => {}); // never answers
    const r = rig(origin.url, checkConfig({ timeout: 60_000 }));
    r.checker.start();
    await until(() => origin.requests.length === 1);
    expect(r.clock.pendingTimers).toBe(0);
    r.clock.advance(1_000_000);
    await new Promise((res) => setTimeout(res, 50));
    expect(origin.requests).toHaveLength(1);
    expect(r.results).toHaveLength(0);
  });
});

describe('HealthChecker stop()', () => {
  it('cancels the scheduled checks and is idempotent', async () => {
    const origin = await httpOrigin();
    const r = rig(origin.url, checkConfig());
    await started(r);
    expect(r.clock.pendingTimers).toBe(1);
    r.checker.stop();
    r.checker.stop();
    expect(r.clock.pendingTimers).toBe(0);
    r.checker.start(); // a stopped checker stays stopped
    r.clock.advance(60_000);
    await new Promise((res) => setTimeout(res, 50));
    expect(origin.requests).toHaveLength(1);
    expect(r.results).toHaveLength(1);
  });

  it('aborts an in-flight probe (the origin sees the connection close) and drops its result', async () => {
    const origin = await httpOrigin(() => {});
    const r = rig(origin.url, checkConfig({ timeout: 60_000, fall: 1 }));
    r.checker.start();
    await until(() => origin.requests.length === 1);
    r.checker.stop();
    await closed(origin.sockets[0]!);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.results).toHaveLength(0);
    expect(r.server.available).toBe(true);
    expect(r.clock.pendingTimers).toBe(0);
  });

  it('stops delivering results to an unsubscribed listener', async () => {
    const origin = await httpOrigin();
    const r = rig(origin.url, checkConfig());
    const seen: string[] = [];
    const off = r.checker.onResult((res) => seen.push(res.detail));
    await started(r);
    off();
    await advanceAndCheck(r, 5000);
    expect(seen).toEqual(['HTTP 200']);
    expect(r.results).toHaveLength(2);
  });
});
