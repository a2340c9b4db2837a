/**
 * @module test/unit/resilience/error-breaker.test
 * The error-rate breaker: where it opens (min_requests, error_rate, the rolling window),
 * the half-open probe gate, closing and reopening, and stop(); plus the rolling window.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../helpers/clock.js';
import type { BreakerConfig } from '../../../src/core/config.js';
import { ErrorRateBreaker } from '../../../src/resilience/error-breaker.js';
import { RollingWindow } from '../../../src/resilience/rolling-window.js';
import type { Server } from '../../../src/core/server.js';
import { makeServers } from '../../helpers/servers.js';
import { cancelled, ok, recordFlags, refused, report, status } from './fixtures.js';

const CONFIG: BreakerConfig = {
  max_concurrent: 100,
  max_pending: 10,
  pending_timeout: 1000,
  error_rate: 0.5,
  min_requests: 10,
  window: 10_000,
  open_for: 30_000,
  half_open_probes: 3,
};

function setup(config: Partial<BreakerConfig> = {}) {
  const clock = new ManualClock(1_000_000);
  const servers = makeServers(2);
  const events = recordFlags(servers);
  const breaker = new ErrorRateBreaker(servers, { ...CONFIG, ...config }, { clock });
  const s1 = servers[0]!;
  /** Opens s1's circuit with ten failures and lets open_for pass: s1 is half-open. */
  const halfOpen = () => {
    report(breaker, s1, refused, 10);
    clock.advance(config.open_for ?? CONFIG.open_for);
  };
  /** Starts `n` attempts on s1. */
  const start = (n: number) => {
    for (let i = 0; i < n; i++) breaker.onAttemptStart(s1);
  };
  return { clock, servers, events, breaker, s1, halfOpen, start };
}

describe('ErrorRateBreaker: closed', () => {
  it('does not open below min_requests, and opens on reaching it', () => {
    const { events, breaker, s1, servers } = setup();
    report(breaker, s1, status(503), 9);
    expect(breaker.state(s1)).toBe('closed');
    report(breaker, s1, refused);
    expect(breaker.state(s1)).toBe('open');
    expect(events).toEqual(['s1 +circuit_open: error rate 100% over 10s (10 of 10 requests failed); open for 30s']);
    expect(breaker.state(servers[1]!)).toBe('closed');
  });

  it('does not open below error_rate, and opens exactly at it', () => {
    const { events, breaker, s1 } = setup();
    report(breaker, s1, ok, 6);
    report(breaker, s1, status(500), 5); // 5 of 11
    expect(breaker.state(s1)).toBe('closed');
    report(breaker, s1, status(500)); // 6 of 12
    expect(events).toEqual(['s1 +circuit_open: error rate 50% over 10s (6 of 12 requests failed); open for 30s']);
  });

  it('checks after a success too: the request reaching min_requests may find the rate over the limit', () => {
    const { breaker, s1 } = setup();
    report(breaker, s1, status(502), 9);
    report(breaker, s1, ok);
    expect(s1.flags.get('circuit_open')?.reason).toBe('error rate 90% over 10s (9 of 10 requests failed); open for 30s');
  });

  it('forgets failures older than the window; ignores cancelled attempts and 4xx are successes', () => {
    const { clock, breaker, s1 } = setup();
    report(breaker, s1, refused, 9);
    clock.advance(10_000);
    report(breaker, s1, status(404), 10);
    report(breaker, s1, refused, 9); // 9 of 19
    report(breaker, s1, cancelled, 20);
    expect(breaker.state(s1)).toBe('closed');
    clock.advance(5_000);
    report(breaker, s1, refused); // 10 of 20
    expect(breaker.state(s1)).toBe('open');
  });

  it('ignores unknown servers and a rate of 0 does not open without failures', () => {
    const { breaker, s1 } = setup({ error_rate: 0 });
    report(breaker, s1, ok, 50);
    expect(breaker.state(s1)).toBe('closed');
    const stranger = makeServers(1)[0]!;
    expect(() => {
      breaker.onAttemptStart(stranger);
      report(breaker, stranger, refused, 20);
    }).not.toThrow();
    expect(breaker.state(stranger)).toBe('closed');
  });
});

describe('ErrorRateBreaker: open and half-open', () => {
  it('goes half-open after open_for: the flag is cleared so probes can reach the server', () => {
    const { clock, events, breaker, s1 } = setup();
    report(breaker, s1, refused, 10);
    report(breaker, s1, ok, 50); // while open: ignored
    clock.advance(29_999);
    expect(breaker.state(s1)).toBe('open');
    clock.advance(1);
    expect(breaker.state(s1)).toBe('half_open');
    expect(s1.available).toBe(true);
    expect(events.at(-1)).toBe('s1 -circuit_open: half-open: letting 3 probe requests through');
  });

  it('lets only half_open_probes attempts through, then closes when they all succeed', () => {
    const { events, breaker, s1, halfOpen, start } = setup({ open_for: 5000 });
    halfOpen();
    start(2);
    expect(s1.available).toBe(true);
    start(1);
    expect(s1.flags.get('circuit_open')?.reason).toBe('half-open: 3 probes in flight');
    report(breaker, s1, ok, 2);
    expect(breaker.state(s1)).toBe('half_open');
    report(breaker, s1, ok);
    expect(breaker.state(s1)).toBe('closed');
    expect(s1.available).toBe(true);
    expect(events.at(-1)).toBe('s1 -circuit_open: half-open: 3 probes succeeded; closed');
    // The window starts empty: the failures that opened it (5 s ago) don't count again.
    report(breaker, s1, refused, 9);
    expect(breaker.state(s1)).toBe('closed');
  });

  it('reopens for a new open_for when a probe fails', () => {
    const { clock, events, breaker, s1, halfOpen, start } = setup();
    halfOpen();
    start(1);
    report(breaker, s1, status(503));
    expect(breaker.state(s1)).toBe('open');
    expect(events.at(-1)).toBe('s1 +circuit_open: half-open probe failed: 503; open for 30s');
    clock.advance(29_999);
    expect(breaker.state(s1)).toBe('open');
    clock.advance(1);
    expect(breaker.state(s1)).toBe('half_open');
    // Failure after the probe limit set the flag: it stays set, with the new reason
    // announced again; the circuit is open again.
    start(3);
    report(breaker, s1, ok);
    report(breaker, s1, refused);
    expect(breaker.state(s1)).toBe('open');
    expect(s1.available).toBe(false);
    expect(events.at(-1)).toMatch(/^s1 \+circuit_open: half-open probe failed: ECONNREFUSED; open for 30s$/);
    expect(s1.flags.get('circuit_open')?.reason).toMatch(/half-open probe failed/);
    expect(clock.pendingTimers).toBe(1);
  });

  it('a cancelled probe frees its slot; outcomes with no probe outstanding are ignored', () => {
    const { breaker, s1, halfOpen, start } = setup();
    halfOpen();
    report(breaker, s1, refused); // started before the circuit opened
    expect(breaker.state(s1)).toBe('half_open');
    start(3);
    report(breaker, s1, cancelled);
    expect(s1.available).toBe(true);
    start(1);
    expect(s1.available).toBe(false);
    report(breaker, s1, ok, 3);
    expect(breaker.state(s1)).toBe('closed');
  });

  it('stop() cancels timers, clears its flags and closes every circuit; idempotent', () => {
    const { clock, events, breaker, s1, servers } = setup();
    report(breaker, s1, refused, 10);
    report(breaker, servers[1]!, refused, 10);
    breaker.stop();
    breaker.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(servers.every((s) => s.available)).toBe(true);
    expect(breaker.state(s1)).toBe('closed');
    expect(events.filter((e) => e.endsWith('circuit breaker stopped'))).toHaveLength(2);
    report(breaker, s1, refused, 10);
    expect(s1.available).toBe(true);
  });
});

describe('RollingWindow', () => {
  it('counts over the last window and wipes everything after a long quiet spell', () => {
    const w = new RollingWindow(1000);
    w.record(0, true);
    w.record(550, false);
    w.record(999, true);
    expect([w.requests, w.failures]).toEqual([3, 2]);
    w.record(1050, false); // the 0-100 bucket is gone
    expect([w.requests, w.failures]).toEqual([3, 1]);
    for (let t = 1100; t < 2000; t += 100) w.record(t, false); // a request in every bucket
    expect(w.requests).toBe(10);
    w.record(1_000_000, true);
    expect([w.requests, w.failures]).toEqual([1, 1]);
    w.record(999_000, false); // time going backwards counts into the newest bucket
    expect([w.requests, w.failures]).toEqual([2, 1]);
    w.reset();
    expect([w.requests, w.failures]).toEqual([0, 0]);
  });
});

describe('ErrorRateBreaker: sync', () => {
  it('kept circuits keep their state, window and timer; new servers start closed and empty', () => {
    const { clock, servers, breaker, s1 } = setup();
    const s2 = servers[1]!;
    report(breaker, s1, refused, 10);
    report(breaker, s2, refused, 9);
    clock.advance(10_000 - 1);
    const added = makeServers(1, 'v')[0]!;
    breaker.sync([s1, s2, added]);
    expect(breaker.state(s1)).toBe('open');
    expect(clock.pendingTimers).toBe(1);
    report(breaker, s2, refused); // the tenth failure within the window
    expect(breaker.state(s2)).toBe('open');
    report(breaker, added, refused, 9);
    expect(breaker.state(added)).toBe('closed');
    report(breaker, added, refused);
    expect(breaker.state(added)).toBe('open');
    clock.advance(30_000 - 9_999);
    expect(breaker.state(s1)).toBe('half_open');
    expect(s1.available).toBe(true);
  });

  it('keeps a half-open circuit with its probes in flight', () => {
    const { breaker, servers, s1, halfOpen, start } = setup();
    halfOpen();
    start(3);
    breaker.sync(servers);
    expect(s1.available).toBe(false);
    report(breaker, s1, ok, 3);
    expect(breaker.state(s1)).toBe('closed');
    expect(s1.available).toBe(true);
  });

  it('forgets removed servers: no timer, flag left set, outcomes ignored; idempotent', () => {
    const { clock, events, servers, breaker, s1 } = setup();
    report(breaker, s1, refused, 10);
    breaker.sync(servers.slice(1));
    breaker.sync(servers.slice(1));
    expect(clock.pendingTimers).toBe(0);
    expect(breaker.state(s1)).toBe('closed'); // not watched
    clock.advance(60_000);
    breaker.onAttemptStart(s1);
    report(breaker, s1, ok, 5);
    breaker.stop();
    expect(s1.hasFlag('circuit_open')).toBe(true);
    expect(events).toHaveLength(1);
  });

  it('a server already carrying circuit_open gets a closed circuit and keeps the flag; no-op once stopped', () => {
    const { clock, servers, breaker } = setup();
    const [flagged, late] = makeServers(2, 'v') as [Server, Server];
    flagged.setFlag('circuit_open', 'set by a previous breaker', clock.now());
    breaker.sync([...servers, flagged]);
    expect(breaker.state(flagged)).toBe('closed');
    breaker.stop();
    expect(flagged.flags.get('circuit_open')?.reason).toBe('set by a previous breaker');
    breaker.sync([late]);
    report(breaker, late, refused, 20);
    expect(late.available).toBe(true);
  });
});
