/**
 * Issue 15's bench goals (benchmarks/lib/goals.js): each judged on medians of per-round
 * ratios, with no verdict on faults, a load-generator-bound side or a single round, and
 * worker scaling judged only with the proxy pinned to enough cores of its own.
 */
import { describe, expect, it } from 'vitest';
import { cpuCount, issue15Lines } from '../../../benchmarks/lib/goals.js';
import type { Sample, Samples } from '../../../benchmarks/lib/verdicts.js';

const clean = (rps: number, cpuUsPerReq: number, p99 = 10): Sample => ({ rps, cpuUsPerReq, p99, non2xx: 0, errors: 0, timeouts: 0 });
const rounds = (n: number, s: Sample): Sample[] => Array.from({ length: n }, () => ({ ...s }));
const PIN4 = { proxy: '1-4', rest: '0,5-7' };

describe('issue15Lines', () => {
  it('judges all features against http-proxy and against plain bulwark', () => {
    const s: Samples = {
      bulwark: rounds(3, clean(20_000, 40, 10)),
      'bulwark-full': rounds(3, clean(19_000, 41, 11)),
      'http-proxy': rounds(3, clean(10_000, 90)),
    };
    expect(issue15Lines(s, null)).toEqual([
      'all features, 1 process, vs http-proxy (CPU ≤ 0.5×, req/s ≥ 2×): CPU/req PASS 0.46× | req/s FAIL 1.90×',
      'all features vs plain (CPU ≤ 1.05×, p99 ≤ 1.2×): CPU/req PASS 1.025× | p99 PASS 1.10×',
    ]);
    s['bulwark-full'] = rounds(3, clean(25_000, 44, 13));
    expect(issue15Lines(s, null)[1]).toBe('all features vs plain (CPU ≤ 1.05×, p99 ≤ 1.2×): CPU/req FAIL 1.100× | p99 FAIL 1.30×');
  });

  it('gives no verdict on faults or a single round, and says why', () => {
    const s: Samples = { bulwark: rounds(1, clean(20_000, 40)), 'bulwark-full': rounds(1, clean(19_000, 41)) };
    expect(issue15Lines(s, null)).toEqual(['all features vs plain (CPU ≤ 1.05×, p99 ≤ 1.2×): no verdict: 1 round with both bulwark-full and bulwark measured (needs 2)']);
    s.bulwark = rounds(2, clean(20_000, 40));
    s['bulwark-full'] = [clean(19_000, 41), { ...clean(19_000, 41), errors: 3 }];
    expect(issue15Lines(s, null)[0]).toMatch(/no verdict: bulwark-full had 3 errors/);
  });

  it('judges scaling only with the proxy pinned to at least N cores', () => {
    const s: Samples = { bulwark: rounds(3, clean(20_000, 40)), 'bulwark-workers-4': rounds(3, clean(70_000, 42)), 'bulwark-workers-8': rounds(3, clean(90_000, 45)) };
    expect(issue15Lines(s, null)).toEqual([
      '4 workers over 1 process (req/s ≥ 3.2×): not judged: unpinned (no BENCH_PIN); needs the proxy pinned to ≥ 4 cores of its own',
      '8 workers over 1 process (req/s ≥ 6.4×): not judged: unpinned (no BENCH_PIN); needs the proxy pinned to ≥ 8 cores of its own',
    ]);
    expect(issue15Lines(s, PIN4)).toEqual([
      '4 workers over 1 process (req/s ≥ 3.2×): PASS 3.50×',
      '8 workers over 1 process (req/s ≥ 6.4×): not judged: 4 proxy cores (BENCH_PIN); needs the proxy pinned to ≥ 8 cores of its own',
    ]);
  });

  it('refuses a ratio measured by a saturated load generator', () => {
    const s: Samples = {
      'bulwark-full-workers-4': rounds(3, { ...clean(60_000, 45), loadgenBound: true }),
      nginx: rounds(3, clean(55_000, 15)),
    };
    expect(issue15Lines(s, PIN4)).toEqual([
      '4 workers, all features, vs nginx with 1 worker (req/s > 1×): no verdict: bulwark-full-workers-4 was load-generator-bound (autocannon at ≥ 90% of a core) in round 1, 2, 3',
    ]);
    s['bulwark-full-workers-4'] = rounds(3, clean(60_000, 45));
    expect(issue15Lines(s, PIN4)).toEqual(['4 workers, all features, vs nginx with 1 worker (req/s > 1×): PASS 1.09×']);
  });

  it('counts the CPUs of a taskset list', () => {
    expect([cpuCount('1'), cpuCount('2-3'), cpuCount('1,4-7,9')]).toEqual([1, 2, 6]);
  });
});
