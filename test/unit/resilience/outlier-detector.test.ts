/**
 * @module test/unit/resilience/outlier-detector.test
 * Outlier detection: both consecutive-failure detectors and what resets them, ejection
 * time (growth, cap, jitter, decay), un-ejection by timer and by health check, the
 * max_ejection_percent cap, and stop().
 */
import { describe, expect, it } from 'vitest';
import { type Random } from '../../../src/core/clock.js';
import { ManualClock, seededRandom } from '../../helpers/clock.js';
import type { OutlierConfig } from '../../../src/core/config.js';
import { OutlierDetector } from '../../../src/resilience/outlier-detector.js';
import { makeServers } from '../../helpers/servers.js';
import { cancelled, ok, recordFlags, refused, report, reset, status } from './fixtures.js';

const CONFIG: OutlierConfig = {
  consecutive_5xx: 5,
  consecutive_gateway_failures: 3,
  base_ejection_time: 30_000,
  max_ejection_time: 300_000,
  max_ejection_percent: 0.5,
  jitter: 0,
};

function setup(opts: { servers?: number; config?: Partial<OutlierConfig>; random?: Random } = {}) {
  const clock = new ManualClock(1_000_000);
  const servers = makeServers(opts.servers ?? 4);
  const events = recordFlags(servers);
  const detector = new OutlierDetector(servers, { ...CONFIG, ...opts.config }, { clock, random: opts.random ?? seededRandom(1) });
  const [s1, s2] = servers as [(typeof servers)[0], (typeof servers)[0]];
  /** Ejects `server` with five 503s. */
  const eject = (server = s1) => report(detector, server, status(503), 5);
  return { clock, servers, events, detector, s1, s2, eject };
}

describe('OutlierDetector: detection', () => {
  it('ejects on the fifth consecutive 5xx, not before', () => {
    const { clock, events, detector, s1 } = setup();
    report(detector, s1, status(500), 4);
    expect(s1.available).toBe(true);
    report(detector, s1, status(503));
    expect(s1.hasFlag('ejected')).toBe(true);
    expect(events).toEqual(['s1 +ejected: 5 consecutive 5xx responses (last: 503); ejected for 30s (ejection #1)']);
    expect(detector.stats()).toEqual({
      detected: { consecutive_5xx: 1, consecutive_gateway_failures: 0 },
      enforced: { consecutive_5xx: 1, consecutive_gateway_failures: 0 },
      ejected_now: 1,
    });
    expect(detector.info(s1)).toEqual({ timesEjected: 1, ejectedUntil: clock.now() + 30_000 });
  });

  it('any non-5xx response resets the 5xx run', () => {
    const { detector, s1 } = setup();
    for (const resetter of [ok, status(404), status(302)]) {
      report(detector, s1, status(502), 4);
      report(detector, s1, resetter);
    }
    expect(s1.available).toBe(true);
    report(detector, s1, status(502));
    expect(s1.available).toBe(true);
  });

  it('ejects on consecutive gateway failures; any response, 5xx included, resets that run', () => {
    const { events, detector, s1, s2 } = setup();
    report(detector, s1, refused, 2);
    report(detector, s1, status(503));
    report(detector, s1, refused, 2);
    expect(s1.available).toBe(true);
    report(detector, s1, reset);
    expect(events).toEqual(['s1 +ejected: 3 consecutive gateway failures (last: ECONNRESET); ejected for 30s (ejection #1)']);
    // Gateway failures don't break a 5xx run.
    report(detector, s2, status(500), 4);
    report(detector, s2, refused);
    report(detector, s2, status(500));
    expect(s2.hasFlag('ejected')).toBe(true);
    expect(detector.stats().enforced).toEqual({ consecutive_5xx: 1, consecutive_gateway_failures: 1 });
  });

  it('ignores cancelled attempts entirely', () => {
    const { detector, s1, s2 } = setup();
    report(detector, s1, status(500), 4);
    report(detector, s1, cancelled, 10);
    report(detector, s1, status(500));
    report(detector, s2, refused, 2);
    report(detector, s2, cancelled);
    report(detector, s2, refused);
    expect([s1.hasFlag('ejected'), s2.hasFlag('ejected')]).toEqual([true, true]);
  });

  it('ignores outcomes while ejected, unknown servers, and a threshold of 0', () => {
    const { detector, s1, eject } = setup({ config: { consecutive_gateway_failures: 0 } });
    eject();
    report(detector, s1, status(500), 20);
    expect(detector.stats().detected.consecutive_5xx).toBe(1);
    expect(() => report(detector, makeServers(1)[0]!, status(500), 10)).not.toThrow();
    const other = setup({ config: { consecutive_gateway_failures: 0 } });
    report(other.detector, other.s1, refused, 100);
    expect(other.s1.available).toBe(true);
  });
});

describe('OutlierDetector: ejection time', () => {
  it('un-ejects when the ejection time has elapsed', () => {
    const { clock, events, detector, s1, eject } = setup();
    eject();
    clock.advance(29_999);
    expect(s1.hasFlag('ejected')).toBe(true);
    clock.advance(1);
    expect(s1.available).toBe(true);
    expect(events.at(-1)).toBe('s1 -ejected: ejection time elapsed');
    expect(detector.stats().ejected_now).toBe(0);
    expect(detector.info(s1)).toEqual({ timesEjected: 1, ejectedUntil: undefined });
  });

  it('grows as base × times ejected, capped at max_ejection_time', () => {
    const { clock, events, eject } = setup({ config: { max_ejection_time: 75_000 } });
    const durations: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      eject();
      while (events.length % 2 === 1) clock.advance(1000);
      durations.push(clock.now() - start);
    }
    expect(durations).toEqual([30_000, 60_000, 75_000, 75_000]);
    expect(events[2]).toMatch(/ejected for 1m \(ejection #2\)$/);
  });

  it('adds up to `jitter` of the ejection time at random, reproducibly with a seeded random', () => {
    const { detector, servers, eject } = setup({ servers: 20, config: { jitter: 0.5, max_ejection_percent: 1 }, random: seededRandom(7) });
    const expected = seededRandom(7);
    const times = servers.map((s) => {
      eject(s);
      return detector.info(s)!.ejectedUntil! - 1_000_000;
    });
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(30_000);
      expect(t).toBeLessThanOrEqual(45_000);
      expect(t).toBe(Math.round(30_000 * (1 + expected() * 0.5)));
    }
    expect(new Set(times).size).toBeGreaterThan(10);
  });

  it('decays: a server back for max_ejection_time starts again at ejection #1', () => {
    const { clock, events, detector, s1, eject } = setup();
    eject();
    clock.advance(30_000);
    clock.advance(299_999);
    eject(); // back for less than max_ejection_time: ejection #2
    expect(events.at(-1)).toMatch(/ejected for 1m \(ejection #2\)$/);
    clock.advance(60_000 + 300_000);
    expect(detector.info(s1)!.timesEjected).toBe(0);
    eject();
    expect(events.at(-1)).toMatch(/ejected for 30s \(ejection #1\)$/);
    expect(detector.info(s1)!.timesEjected).toBe(1);
  });
});

describe('OutlierDetector: cap, health checks, stop', () => {
  it('never ejects more than max_ejection_percent of the servers; detections over it are counted', () => {
    const { clock, servers, detector, eject } = setup({ servers: 10, config: { max_ejection_percent: 0.3 } });
    for (const s of servers) eject(s);
    expect(servers.filter((s) => s.hasFlag('ejected')).map((s) => s.name)).toEqual(['s1', 's2', 's3']);
    const stats = detector.stats();
    expect(stats.detected.consecutive_5xx).toBe(10);
    expect(stats.enforced.consecutive_5xx).toBe(3);
    expect(stats.ejected_now).toBe(3);
    // Once they are back, others can be ejected.
    clock.advance(30_000);
    eject(servers[9]);
    expect(servers[9]!.hasFlag('ejected')).toBe(true);
  });

  it('can always eject at least one server (2 servers, 10% cap)', () => {
    const { detector, s1, s2, eject } = setup({ servers: 2, config: { max_ejection_percent: 0.1 } });
    eject(s1);
    eject(s2);
    expect([s1.hasFlag('ejected'), s2.hasFlag('ejected')]).toEqual([true, false]);
    expect(detector.stats()).toMatchObject({ detected: { consecutive_5xx: 2 }, enforced: { consecutive_5xx: 1 } });
  });

  it('un-ejects at once when an active health check passes', () => {
    const { clock, events, detector, s1, s2, eject } = setup();
    eject();
    detector.onHealthCheckPassed(s1);
    detector.onHealthCheckPassed(s2); // not ejected: nothing happens
    expect(s1.available).toBe(true);
    expect(events.slice(1)).toEqual(['s1 -ejected: active health check passed']);
    expect(clock.pendingTimers).toBe(0);
    expect(detector.stats().ejected_now).toBe(0);
  });

  it('stop() cancels every timer and clears its flags; idempotent; later outcomes are ignored', () => {
    const { clock, events, detector, s1, s2, eject } = setup();
    eject(s1);
    eject(s2);
    expect(clock.pendingTimers).toBe(2);
    detector.stop();
    detector.stop();
    expect(clock.pendingTimers).toBe(0);
    expect([s1.available, s2.available]).toEqual([true, true]);
    expect(events.slice(2)).toEqual(['s1 -ejected: outlier detection stopped', 's2 -ejected: outlier detection stopped']);
    eject(s1);
    expect(s1.available).toBe(true);
  });
});

describe('OutlierDetector: sync', () => {
  it('kept servers keep their ejection (timer included), runs and ejection count', () => {
    const { clock, servers, events, detector, s1, s2, eject } = setup();
    eject(s1);
    report(detector, s2, status(500), 4);
    clock.advance(10_000);
    const [s3, fresh] = [servers[2]!, makeServers(1, 'v')[0]!];
    detector.sync([s1, s2, s3, fresh]);
    expect(detector.info(s1)).toEqual({ timesEjected: 1, ejectedUntil: 1_030_000 });
    expect(clock.pendingTimers).toBe(1);
    report(detector, s2, status(500)); // the fifth in a row: the run survived the sync
    expect(s2.hasFlag('ejected')).toBe(true);
    clock.advance(20_000);
    expect(s1.available).toBe(true);
    expect(events).toContain('s1 -ejected: ejection time elapsed');
    eject(s1);
    expect(events.at(-1)).toMatch(/ejected for 1m \(ejection #2\)$/);
  });

  it('new servers start fresh; the cap follows the new server count', () => {
    const { clock, servers, detector, eject } = setup({ servers: 2 }); // cap 1
    const added = makeServers(4, 'v');
    expect(detector.info(added[0]!)).toBeUndefined();
    detector.sync([...servers, ...added]); // 6 servers: cap 3
    expect(detector.info(added[0]!)).toEqual({ timesEjected: 0, ejectedUntil: undefined });
    report(detector, added[0]!, status(500), 4);
    expect(added[0]!.available).toBe(true);
    for (const s of [servers[0]!, added[0]!, added[1]!, added[2]!]) eject(s);
    expect(detector.stats()).toMatchObject({ ejected_now: 3, enforced: { consecutive_5xx: 3 } });
    detector.sync(added.slice(0, 2)); // 2 servers, both ejected: over the new cap of 1, they stay
    expect(detector.stats().ejected_now).toBe(2);
    expect(clock.pendingTimers).toBe(2);
    clock.advance(30_000);
    eject(added[0]);
    eject(added[1]);
    expect([added[0]!.hasFlag('ejected'), added[1]!.hasFlag('ejected')]).toEqual([true, false]);
  });

  it('forgets removed servers: no timer, no longer counted, ejected flag left set, outcomes ignored', () => {
    const { clock, events, detector, s1, s2, servers, eject } = setup();
    eject(s1);
    detector.sync(servers.slice(1));
    expect(clock.pendingTimers).toBe(0);
    expect(detector.info(s1)).toBeUndefined();
    expect(detector.stats().ejected_now).toBe(0);
    clock.advance(3_600_000);
    detector.onHealthCheckPassed(s1);
    report(detector, s1, status(500), 10);
    detector.stop();
    expect(s1.flags.get('ejected')?.reason).toMatch(/ejection #1\)$/);
    expect(events).toHaveLength(1);
    expect(s2.available).toBe(true);
  });

  it('is idempotent and a no-op once stopped', () => {
    const { clock, servers, detector, s1, eject } = setup();
    eject(s1);
    detector.sync(servers);
    detector.sync([...servers].reverse());
    expect(detector.info(s1)?.ejectedUntil).toBe(1_030_000);
    expect(detector.stats().ejected_now).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    detector.stop();
    const late = makeServers(1, 'v')[0]!;
    detector.sync([late]);
    expect(detector.info(late)).toBeUndefined();
    expect(detector.info(s1)).toBeDefined();
  });

  it('watches a server already carrying `ejected` (set elsewhere) without clearing it', () => {
    const { clock, detector, servers } = setup();
    const flagged = makeServers(1, 'v')[0]!;
    flagged.setFlag('ejected', 'set by a previous detector', clock.now());
    detector.sync([...servers, flagged]);
    expect(detector.info(flagged)).toEqual({ timesEjected: 0, ejectedUntil: undefined });
    detector.onHealthCheckPassed(flagged);
    detector.stop();
    expect(flagged.flags.get('ejected')?.reason).toBe('set by a previous detector');
  });
});
