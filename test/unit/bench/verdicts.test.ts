/**
 * The benchmarks' verdict rules (benchmarks/lib/verdicts.js): no verdict from samples with
 * errors or non-2xx, from a single round, from reloads that were rejected or never applied,
 * or from a snapshot round whose load no snapshot overlapped.
 */
import { describe, expect, it } from 'vitest';
import { MIN_ROUNDS, p99Verdict, ratioVerdict, reloadVerdict, snapshotOverlap, type Sample } from '../../../benchmarks/lib/verdicts.js';

const GOALS = { cpuRatioMax: 0.65, rpsRatioMin: 1.5 };
const clean = (rps: number, cpuUsPerReq: number): Sample => ({ rps, cpuUsPerReq, non2xx: 0, errors: 0, timeouts: 0 });
/** bulwark at 0.5x http-proxy's CPU and 2x its req/s in every round. */
const good = (rounds: number) => ({
  bulwark: Array.from({ length: rounds }, () => clean(20_000, 30)),
  'http-proxy': Array.from({ length: rounds }, () => clean(10_000, 60)),
});

describe('ratioVerdict (run.js)', () => {
  it('passes and fails on the median of per-round ratios when every sample is clean', () => {
    expect(ratioVerdict(good(3), GOALS)).toMatchObject({ pass: true, cpuOk: true, rpsOk: true, rounds: 3, cpuRatio: 0.5, rpsRatio: 2, reasons: [] });
    const slow = good(3);
    slow.bulwark = slow.bulwark.map(() => clean(12_000, 50));
    expect(ratioVerdict(slow, GOALS)).toMatchObject({ pass: false, cpuOk: false, rpsOk: false });
  });

  it('gives no verdict when the target answered non-2xx (fast 502s would score better)', () => {
    const s = good(3);
    s.bulwark[1] = { ...clean(90_000, 5), non2xx: 400_000 };
    const v = ratioVerdict(s, GOALS);
    expect(v.pass).toBeNull();
    expect(v.reasons).toEqual(['bulwark had 400000 non-2xx in its measured load']);
  });

  it('gives no verdict when either side had errors or timeouts', () => {
    const s = good(3);
    s['http-proxy'][0] = { ...clean(10_000, 60), errors: 2, timeouts: 1 };
    expect(ratioVerdict(s, GOALS)).toMatchObject({ pass: null, reasons: ['http-proxy had 3 errors in its measured load'] });
  });

  it('gives no verdict from a single surviving round', () => {
    expect(MIN_ROUNDS).toBe(2);
    expect(ratioVerdict(good(1), GOALS)).toMatchObject({ pass: null, reasons: ['1 round with both bulwark and http-proxy measured (needs 2)'] });
    const s = good(3);
    s.bulwark[0] = { error: 'bulwark did not become ready' };
    s['http-proxy'][2] = { error: 'exited' };
    expect(ratioVerdict(s, GOALS)).toMatchObject({ pass: null, rounds: 1 });
    s['http-proxy'][2] = clean(10_000, 60);
    expect(ratioVerdict(s, GOALS)).toMatchObject({ pass: true, rounds: 2 });
  });

  it('gives no ratio where the load generator saturated: req/s then measures autocannon', () => {
    const s = good(3);
    s['http-proxy'][1] = { ...clean(10_000, 60), loadgenBound: true };
    s.bulwark[2] = { ...clean(20_000, 30), loadgenBound: true };
    expect(ratioVerdict(s, GOALS)).toMatchObject({
      pass: null,
      reasons: ['bulwark was load-generator-bound (autocannon at ≥ 90% of a core) in round 3', 'http-proxy was load-generator-bound (autocannon at ≥ 90% of a core) in round 2'],
    });
  });

  it('gives no verdict without http-proxy in the run', () => {
    const { bulwark } = good(3);
    expect(ratioVerdict({ bulwark }, GOALS)).toMatchObject({ pass: null, reasons: ['http-proxy is not in the run'] });
  });
});

describe('snapshotOverlap and p99Verdict (backup.js)', () => {
  it('counts the snapshots that overlap the load window, and the ms they cover', () => {
    const snaps = [
      { time: 1_000, duration_ms: 300 }, // 700-1000: ends exactly at t0, no overlap
      { time: 1_200, duration_ms: 400 }, // 800-1200: 200 ms inside
      { time: 1_500, duration_ms: 100 }, // inside
      { time: 2_300, duration_ms: 500 }, // 1800-2300: straddles t1, 200 ms inside
      { time: 2_600, duration_ms: 100 }, // 2500-2600: after
    ];
    expect(snapshotOverlap(snaps, 1_000, 2_000)).toEqual({ count: 3, durationsMs: [400, 100, 500], coveredMs: 500 });
    expect(snapshotOverlap([], 0, 1).count).toBe(0);
  });

  const round = (p99: number, snapshots = 0): Sample => ({ p99, non2xx: 0, errors: 0, snapshots });

  it('judges the median per-round p99 ratio when every round had a snapshot', () => {
    const v = p99Verdict({ none: [round(4), round(5), round(4)], snapshots: [round(4.4, 3), round(7, 2), round(4.6, 1)] }, 1.2);
    expect(v).toMatchObject({ pass: true, reasons: [] });
    expect(v.ratio).toBeCloseTo(1.15);
    expect(p99Verdict({ none: [round(4), round(4)], snapshots: [round(6, 1), round(6, 1)] }, 1.2).pass).toBe(false);
  });

  it('gives no verdict when a round had no snapshot overlapping its load', () => {
    const v = p99Verdict({ none: [round(4), round(4), round(4)], snapshots: [round(4, 2), round(4, 0), round(4, 0)] }, 1.2);
    expect(v).toMatchObject({ pass: null, reasons: ['no snapshot overlapped the measured load in round 2, 3'] });
  });

  it('gives no verdict from a single round, or with errors', () => {
    expect(p99Verdict({ none: [round(4)], snapshots: [round(4, 1)] }, 1.2)).toMatchObject({ pass: null, reasons: ['1 round (needs 2)'] });
    const v = p99Verdict({ none: [round(4), { ...round(1), non2xx: 7 }], snapshots: [round(4, 1), round(4, 1)] }, 1.2);
    expect(v).toMatchObject({ pass: null, reasons: ['none had 7 non-2xx in its measured load'] });
  });
});

describe('reloadVerdict (reload.js)', () => {
  const GOALS_R = { saveToServeMaxMs: 300, errorsUnderLoad: 0, non2xxUnderLoad: 0 };
  const latency = { applied: 20, rejected: 0, failed: 0, maxMs: 180 };
  const load = { reloadsApplied: 19, reloadsRejected: 0, errors: 0, timeouts: 0, non2xx: 0 };

  it('passes with reloads applied and none rejected, fails on errors or a slow save', () => {
    expect(reloadVerdict({ latency, load }, GOALS_R)).toEqual({ saveToServe: { pass: true, reasons: [] }, underLoad: { pass: true, reasons: [] } });
    const v = reloadVerdict({ latency: { ...latency, maxMs: 450 }, load: { ...load, non2xx: 1 } }, GOALS_R);
    expect([v.saveToServe.pass, v.underLoad.pass]).toEqual([false, false]);
  });

  it('gives no verdict when every reload under load was rejected (zero errors proves nothing)', () => {
    const v = reloadVerdict({ latency, load: { ...load, reloadsApplied: 0, reloadsRejected: 19 } }, GOALS_R);
    expect(v.underLoad).toEqual({ pass: null, reasons: ['under load: no reload applied', 'under load: 19 reloads rejected'] });
    expect(v.saveToServe.pass).toBe(true);
  });

  it('gives no verdict when any reload was rejected, even with others applied', () => {
    const v = reloadVerdict({ latency: { ...latency, applied: 19, rejected: 1, failed: 1 }, load: { ...load, reloadsRejected: 1 } }, GOALS_R);
    expect(v.saveToServe).toEqual({ pass: null, reasons: ['save→serve: 1 reload rejected'] });
    expect(v.underLoad).toEqual({ pass: null, reasons: ['under load: 1 reload rejected'] });
  });
});
