/**
 * @module test/unit/balancer/scheduler.case
 * The contract every scheduler must keep, run by each scheduler's own test file. Picks are
 * made through `simulate`, which plays the proxy's part (activeRequests raised while a
 * request is in flight, requests finishing in FIFO order at a fixed concurrency) and varies
 * the request context, so load-aware and key-aware schedulers are exercised too.
 */
import { describe, expect, it } from 'vitest';
import type { PickContext, Scheduler, SchedulerOptions } from '../../../src/balancer/scheduler.js';
import { seededRandom } from '../../helpers/clock.js';
import type { SchedulerName } from '../../../src/core/config.js';
import type { Server } from '../../../src/core/server.js';
import { makeServers } from '../../helpers/servers.js';

export interface ConformanceSpec {
  readonly name: SchedulerName;
  readonly create: (opts: SchedulerOptions) => Scheduler;
  /** True when shares follow weights, false when every server gets an equal share. */
  readonly honoursWeights: boolean;
  /** Allowed relative deviation from a fair share; TOLERANCE (±10%) unless the algorithm can't. */
  readonly tolerance?: number;
}

const PICKS = 30_000;
/** Allowed relative deviation from a fair share (±10%). */
const TOLERANCE = 0.1;
/**
 * Requests in flight during a simulation; each lives exactly this many picks. Load-aware
 * schedulers can only show weights through in-flight counts: least-connections does so at
 * any depth, but p2c's error shrinks like 1/concurrency (weight-1 server of 1,2,5 gets
 * +12% at 64, +7% at 128), so the suite runs at 128.
 */
const CONCURRENCY = 128;

/** A request context that differs on every pick, so key-based schedulers spread too. */
export function varyingContext(i: number): PickContext {
  return {
    clientIp: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
    path: `/items/${i}?page=1`,
    headers: { 'x-user': `user-${i}`, cookie: `theme=dark; session=sess-${i}` },
  };
}

export interface Simulation {
  /** Picks per server of the array passed in. */
  readonly counts: Map<Server, number>;
  /** Picks that returned undefined or something not in the array (must stay 0). */
  readonly foreign: number;
}

/**
 * Picks `count` times from `servers` as the proxy would: the chosen server's
 * activeRequests is raised while its request is in flight and requests finish in FIFO
 * order with `concurrency` in flight. All requests are finished before it returns.
 */
export function simulate(
  scheduler: Scheduler,
  servers: readonly Server[],
  count: number,
  offset = 0,
  concurrency = CONCURRENCY,
): Simulation {
  const counts = new Map<Server, number>(servers.map((s) => [s, 0]));
  const inFlight: Server[] = [];
  let foreign = 0;
  for (let i = 0; i < count; i++) {
    const s = scheduler.pick(servers, varyingContext(offset + i));
    const seen = s === undefined ? undefined : counts.get(s);
    if (s === undefined || seen === undefined) {
      foreign++;
      continue;
    }
    counts.set(s, seen + 1);
    s.activeRequests++;
    inFlight.push(s);
    if (inFlight.length > concurrency) inFlight.shift()!.activeRequests--;
  }
  for (const s of inFlight) s.activeRequests--;
  return { counts, foreign };
}

/** Asserts every server's share of `counts` is within ±TOLERANCE of its weight's share. */
export function expectShares(counts: Map<Server, number>, weights: readonly number[], tolerance = TOLERANCE): void {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  [...counts].forEach(([server, count], i) => {
    const expected = weights[i]! / totalWeight;
    const actual = count / total;
    expect(Math.abs(actual / expected - 1), `${server.name}: share ${actual}, expected ${expected}`).toBeLessThanOrEqual(
      tolerance,
    );
  });
}

export function runSchedulerConformance(spec: ConformanceSpec): void {
  const create = (seed = 1): Scheduler => spec.create({ random: seededRandom(seed) });

  describe(`${spec.name} conformance`, () => {
    it('reports its name', () => {
      expect(create().name).toBe(spec.name);
    });

    it('returns undefined for an empty list', () => {
      expect(create().pick([], {})).toBeUndefined();
      expect(create().pick([], varyingContext(1))).toBeUndefined();
    });

    it('always picks the only server', () => {
      const scheduler = create();
      const only = makeServers([3]);
      for (let i = 0; i < 100; i++) expect(scheduler.pick(only, varyingContext(i))).toBe(only[0]);
    });

    it('answers with an empty context', () => {
      const scheduler = create();
      const servers = makeServers(3);
      for (let i = 0; i < 100; i++) expect(servers).toContain(scheduler.pick(servers, {}));
    });

    it(`spreads ${PICKS} picks evenly over equal weights`, () => {
      const { counts, foreign } = simulate(create(), makeServers(4), PICKS);
      expect(foreign).toBe(0);
      expectShares(counts, [1, 1, 1, 1], spec.tolerance);
    });

    it(spec.honoursWeights ? 'gives weights 1,2,5 shares of 1/8,2/8,5/8' : 'ignores weights 1,2,5', () => {
      const weights = [1, 2, 5];
      const { counts, foreign } = simulate(create(7), makeServers(weights), PICKS);
      expect(foreign).toBe(0);
      expectShares(counts, spec.honoursWeights ? weights : [1, 1, 1], spec.tolerance);
    });

    it('never returns a removed server and picks an added one', () => {
      const scheduler = create(3);
      const servers = makeServers(4);
      expect(simulate(scheduler, servers, 2_000).foreign).toBe(0);

      const removed = servers[2]!;
      const fewer = servers.filter((s) => s !== removed);
      const afterRemoval = simulate(scheduler, fewer, 3_000, 2_000);
      expect(afterRemoval.foreign).toBe(0); // includes: `removed` never came back
      for (const s of fewer) expect(afterRemoval.counts.get(s), s.name).toBeGreaterThan(0);

      const added = makeServers(5)[4]!;
      const more = [...fewer, added];
      const afterAdding = simulate(scheduler, more, 4_000, 5_000);
      expect(afterAdding.foreign).toBe(0);
      // At least half of its fair share (1/4 of the picks).
      expect(afterAdding.counts.get(added)).toBeGreaterThan(4_000 / 4 / 2);
    });

    it('returns only elements of the array it is given, even when equal servers replace it', () => {
      const scheduler = create(5);
      expect(simulate(scheduler, makeServers(3), 1_000).foreign).toBe(0);
      // Same names and origins, new objects: state cached for the old ones must not leak.
      const fresh = makeServers(3);
      const { counts, foreign } = simulate(scheduler, fresh, 3_000, 1_000);
      expect(foreign).toBe(0);
      for (const s of fresh) expect(counts.get(s), s.name).toBeGreaterThan(0);
    });

    it('leaves activeRequests alone', () => {
      const servers = makeServers(3);
      servers[0]!.activeRequests = 2;
      const scheduler = create();
      for (let i = 0; i < 100; i++) scheduler.pick(servers, varyingContext(i));
      expect(servers.map((s) => s.activeRequests)).toEqual([2, 0, 0]);
    });
  });
}
