/**
 * The bench's pinned placement (benchmarks/lib/pin.js, BENCH_PIN=PROXY:REST) and the p99 ratio
 * the cost lines print (benchmarks/lib/stats.js perRoundRatios, through verdicts.js comparison).
 */
import { describe, expect, it } from 'vitest';
import { parsePin } from '../../../benchmarks/lib/pin.js';
import { comparison } from '../../../benchmarks/lib/verdicts.js';

describe('parsePin', () => {
  it('is off when unset or empty', () => {
    expect(parsePin(undefined)).toBeNull();
    expect(parsePin('')).toBeNull();
  });

  it('takes the proxy cores and the other cores as taskset -c lists', () => {
    expect(parsePin('1:0')).toEqual({ proxy: '1', rest: '0' });
    expect(parsePin('4-7,12:0-3')).toEqual({ proxy: '4-7,12', rest: '0-3' });
  });

  it('names the variable and the value it refuses', () => {
    for (const bad of ['1', '1:', ':0', '1:0:2', 'a:b', '1-:0', '1 :0']) {
      expect(() => parsePin(bad)).toThrow(`BENCH_PIN must be PROXY_CPUS:OTHER_CPUS as taskset -c takes them (e.g. "1:0"), got "${bad}"`);
    }
  });
});

describe('per-round p99 ratios', () => {
  const s = (p99: number) => ({ rps: 10_000, cpuUsPerReq: 50, p99, non2xx: 0, errors: 0, timeouts: 0 });
  it('divides round by round, and gives none where the base p99 is 0 ms', () => {
    const { rounds } = comparison({ full: [s(6), s(5), s(3)], plain: [s(4), s(5), s(0)] }, 'full', 'plain');
    expect(rounds.map((r) => r.p99)).toEqual([1.5, 1, null]);
  });
});
