/**
 * @module test/integration/settings-fault-tolerance.test
 * The timing keys of the fault-tolerance blocks through the whole App, each failing when
 * the key is ignored (its default used instead): health_check.jitter, outlier_detection
 * jitter and max_ejection_time, circuit_breaker.window and retries.budget. The App runs on
 * an injected ManualClock, so the tests read the delays the parts ask their clock for and
 * move time themselves: nothing depends on how fast a busy machine runs. Traffic, probes
 * and origins are real sockets.
 */
import { describe, expect, it } from 'vitest';
import { type TimerHandle } from '../../src/core/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.js';
import { chaosOrigins, ftConfig, ftOf, recordAttempts, serverOf, waitFlag } from '../helpers/fault.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

/** A ManualClock that remembers every delay it was asked for. */
class RecordingClock extends ManualClock {
  readonly delays: number[] = [];
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

/** bulwark on `clock` (stopped after the test). */
async function clocked(h: Harness, yaml: string, clock: ManualClock): Promise<TestBulwark> {
  const bw = await startBulwark(yaml, { clock });
  h.defer(() => bw.stop(200));
  return bw;
}

describe('fault-tolerance timing settings, on the App clock', () => {
  const h = useHarness();

  it.each([
    ['50%', 5000, 15_000],
    ['0%', 10_000, 10_000],
  ])('health_check.jitter: %s spreads each next check over interval ± that share', async (jitter, low, high) => {
    const origins = await chaosOrigins(h, ['a', 'b', 'c', 'd']);
    const clock = new RecordingClock(Date.now());
    // fast_interval = interval and a probe timeout as long: every delay is interval ± jitter
    // even if a probe fails on a loaded machine. Only the checker uses the clock here.
    const check = { interval: '10s', fast_interval: '10s', timeout: '10s', jitter };
    await clocked(h, ftConfig(origins, { health_check: check }), clock);
    for (let round = 1; round <= 10; round++) {
      // Each server's check (the first runs at start) has finished and asked for the next.
      await waitFor(() => clock.delays.length === 4 * round, 5000, `round ${round} of checks`);
      clock.advance(15_000);
    }
    await waitFor(() => clock.delays.length === 44, 5000, 'the last round of checks');
    expect(origins.map((o) => o.count('/'))).toEqual([11, 11, 11, 11]);
    const delays = clock.delays;
    expect(delays.filter((d) => d < low || d > high)).toEqual([]);
    if (jitter === '0%') return;
    // 44 draws over ±50%: some fall outside the default ±10% band on each side (each side
    // fails to with probability 0.6^44, about 2e-10).
    expect(delays.some((d) => d < 9000)).toBe(true);
    expect(delays.some((d) => d > 11_000)).toBe(true);
  });

  /** Ejections of one always-503 server (consecutive_5xx: 1), each timed out on the clock. */
  async function ejections(outlier: Record<string, unknown>, n: number): Promise<number[]> {
    const [a] = await chaosOrigins(h, ['a']);
    a!.error(503);
    const clock = new ManualClock(Date.now());
    const bw = await clocked(h, ftConfig([a!], { outlier_detection: { consecutive_5xx: 1, ...outlier } }), clock);
    const detector = ftOf(bw).outlier!;
    const server = serverOf(bw, 'a');
    const lengths: number[] = [];
    for (let i = 1; i <= n; i++) {
      expect((await send(bw.url)).status).toBe(503);
      await waitFlag(bw, 'a', 'ejected');
      expect(server.flags.get('ejected')!.reason).toContain(`(ejection #${i})`);
      const ms = detector.info(server)!.ejectedUntil! - clock.now();
      lengths.push(ms);
      clock.advance(ms - 1);
      expect(server.hasFlag('ejected')).toBe(true);
      clock.advance(1); // the ejection ends exactly on time
      expect(server.hasFlag('ejected')).toBe(false);
    }
    return lengths;
  }

  it('outlier_detection.max_ejection_time: 3s stops the growing ejections at 3 s (jitter 0%: exactly)', async () => {
    const lengths = await ejections({ base_ejection_time: '1s', max_ejection_time: '3s', jitter: '0%' }, 5);
    expect(lengths).toEqual([1000, 2000, 3000, 3000, 3000]); // the 300 s default: ..., 4000, 5000
  });

  it('outlier_detection.jitter: 100% adds up to the whole ejection time at random', async () => {
    const lengths = await ejections({ base_ejection_time: '1s', max_ejection_time: '1s', jitter: '100%' }, 30);
    expect(lengths.filter((ms) => ms < 1000 || ms > 2000)).toEqual([]);
    // The default 10% never goes past 1100 ms; of 30 draws over 1000-2000 ms, about 27 do.
    expect(lengths.filter((ms) => ms > 1100).length).toBeGreaterThanOrEqual(15);
  });

  it('circuit_breaker.window: 1s forgets a failure 1.5 s old and counts one 0.5 s old', async () => {
    const [a] = await chaosOrigins(h, ['a']);
    a!.error(503);
    const clock = new ManualClock(Date.now());
    const breaker = { error_rate: '50%', min_requests: 2, window: '1s', open_for: '30s' };
    const bw = await clocked(h, ftConfig([a!], { circuit_breaker: breaker }), clock);
    const seen = recordAttempts(bw); // observed after the breaker has counted each outcome
    const fail = async (n: number): Promise<void> => {
      expect((await send(bw.url)).status).toBe(503);
      await waitFor(() => seen.length === n, 3000, `attempt ${n} to be counted`);
    };
    await fail(1);
    clock.advance(1500);
    await fail(2); // the first failure has left the window: 1 request, under min_requests
    expect(ftOf(bw).breaker!.state(serverOf(bw, 'a'))).toBe('closed'); // with the 10 s default: open
    clock.advance(500);
    await fail(3);
    expect(serverOf(bw, 'a').flags.get('circuit_open')?.reason).toMatch(/^error rate 100% over 1s \(2 of 2 requests failed\)/);
  });

  it.each([
    // A retry is allowed while retries < budget × requests + 30 (3/s over 10 s): of 100
    // requests, 31 at 1%, 80 at 50%, and 50 at the default 20%.
    ['1%', 30, 31],
    ['50%', 75, 80],
  ])('retries.budget: %s of 100 failing requests gets %i to %i retries', async (budget, least, most) => {
    const origins = await chaosOrigins(h, ['a', 'b']);
    origins.forEach((o) => o.error(503));
    // The clock stands still: all 100 requests fall in one budget window.
    const bw = await clocked(h, ftConfig(origins, { retries: { attempts: 1, budget } }), new ManualClock(Date.now()));
    const client = h.client(bw.url);
    for (let i = 0; i < 100; i++) {
      const r = await client.request({ path: '/', method: 'GET' });
      await r.body.text();
      expect(r.statusCode).toBe(503);
    }
    const retries = origins[0]!.proxied + origins[1]!.proxied - 100;
    expect(retries).toBeGreaterThanOrEqual(least);
    expect(retries).toBeLessThanOrEqual(most);
    expect(bw.app.proxy.state.upstreams.get('web')!.retry!.budgetExhausted).toBe(100 - retries);
  });
});
