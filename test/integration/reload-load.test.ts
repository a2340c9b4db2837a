/**
 * @module test/integration/reload-load.test
 * Hot reload under load: autocannon drives 50 connections at the proxy for 10 s while the
 * config file is rewritten 20 times (every ~450 ms, alternately in place and by
 * temp file + rename), moving four named origins in and out of upstream "web" and changing
 * weights and the scheduler. Not one request may fail, and traffic must follow every
 * change: each config version's window of the access log names only that version's
 * servers, a server removed for several versions gets nothing at its origin meanwhile, and
 * after the last rewrite only the final servers answer, in the final weights' proportions.
 */
import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { holdOrigins, sleep, startApp, waitVersion, webConfig, webServers, tally, type HoldOrigin, type StatusDoc } from '../helpers/reload.js';

interface Step {
  readonly scheduler: 'round-robin' | 'weighted' | 'least-connections' | 'p2c' | 'random';
  /** name → weight, in config order. */
  readonly servers: Readonly<Record<string, number>>;
  /** More settings of upstream "web". */
  readonly upstream?: readonly string[];
}

/** New pool settings: every server gets a new pool, the old ones close once drained. */
const POOLS = ['    connections: 16', '    keep_alive: 2s'];
/** Health checks on: kept servers keep their state, added ones are checked at once. */
const CHECKS = ['    health_check: { path: /healthz, interval: 1s, timeout: 1s }'];

/**
 * Version 1 is STEPS[0]; rewrite i makes version i + 1. Server d is out for versions 9–13;
 * pool settings change at versions 6, 7, 12 and 13; health checks run for versions 14–17.
 */
const STEPS: readonly Step[] = [
  { scheduler: 'round-robin', servers: { a: 1, b: 1 } },
  { scheduler: 'round-robin', servers: { a: 1, b: 1, c: 1 } },
  { scheduler: 'weighted', servers: { a: 3, b: 1, c: 1 } },
  { scheduler: 'weighted', servers: { a: 1, b: 1, c: 3 } },
  { scheduler: 'least-connections', servers: { b: 1, c: 1, d: 1 } },
  { scheduler: 'p2c', servers: { b: 2, c: 1, d: 1 }, upstream: POOLS },
  { scheduler: 'random', servers: { c: 1, d: 1 } },
  { scheduler: 'round-robin', servers: { a: 1, c: 1, d: 1 } },
  { scheduler: 'weighted', servers: { a: 2, c: 1 } },
  { scheduler: 'weighted', servers: { a: 1, c: 2 } },
  { scheduler: 'least-connections', servers: { a: 1, b: 1, c: 1 } },
  { scheduler: 'p2c', servers: { a: 1, b: 1 }, upstream: POOLS },
  { scheduler: 'random', servers: { a: 1, b: 1, c: 1 } },
  { scheduler: 'round-robin', servers: { a: 1, b: 1, c: 1, d: 1 }, upstream: CHECKS },
  { scheduler: 'weighted', servers: { a: 1, b: 2, c: 3, d: 4 }, upstream: CHECKS },
  { scheduler: 'least-connections', servers: { d: 1 }, upstream: CHECKS },
  { scheduler: 'p2c', servers: { c: 1, d: 1 }, upstream: CHECKS },
  { scheduler: 'random', servers: { a: 1, d: 1 } },
  { scheduler: 'round-robin', servers: { b: 1, c: 1 } },
  { scheduler: 'weighted', servers: { a: 5, b: 1, c: 1, d: 1 } },
  { scheduler: 'weighted', servers: { b: 3, d: 1 } },
];
const NAMES = ['a', 'b', 'c', 'd'];
const REWRITE_EVERY_MS = 450;
/** Access lines this close to a reload may belong to either version (clock rounding). */
const EDGE_MS = 5;

function yamlOf(step: Step, origins: readonly HoldOrigin[]): string {
  const url = (name: string): string => origins.find((o) => o.name === name)!.url;
  return webConfig(
    Object.entries(step.servers).map(([name, weight]) => ({ name, url: url(name), weight })),
    { scheduler: step.scheduler, upstream: step.upstream },
  );
}

/** Scheduler and name → weight of upstream "web" as /status shows it. */
function shown(doc: StatusDoc): Step {
  const servers = webServers(doc);
  return {
    scheduler: doc.upstreams.find((u) => u.name === 'web')!.scheduler as Step['scheduler'],
    servers: Object.fromEntries(Object.values(servers).map((s) => [s.name, s.weight])),
  };
}

/** A step as /status can show it (without the upstream settings it doesn't list). */
function visible(step: Step): Step {
  return { scheduler: step.scheduler, servers: step.servers };
}

/** Runs of consecutive steps [from, to] in which `name` is not configured. */
function absences(name: string): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  STEPS.forEach((s, i) => {
    if (name in s.servers) return;
    const last = runs.at(-1);
    if (last !== undefined && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  });
  return runs;
}

describe('hot reload under load', () => {
  const h = useHarness();

  it('serves 50 connections for 10 s without an error while the config is rewritten 20 times', { timeout: 60_000 }, async () => {
    const origins = await holdOrigins(h, NAMES);
    const seenNow = (): Record<string, number> => Object.fromEntries(origins.map((o) => [o.name, o.seen()]));
    const bw = await startApp(h, yamlOf(STEPS[0]!, origins));

    const load = autocannon({ url: bw.url, connections: 50, duration: 10 });
    h.defer(() => load.stop());
    /** Origin request counts when step i was seen applied in /status, and just before rewrite i. */
    const appliedAt: Array<Record<string, number>> = [seenNow()];
    const beforeRewrite: Array<Record<string, number>> = [seenNow()];
    const t0 = Date.now();
    for (let i = 1; i < STEPS.length; i++) {
      await sleep(t0 + i * REWRITE_EVERY_MS - Date.now());
      beforeRewrite[i] = seenNow();
      await bw.save(yamlOf(STEPS[i]!, origins), i % 2 === 0 ? 'write' : 'rename');
      const doc = await waitVersion(bw.adminUrl, i + 1, 15_000);
      // Each save is applied on its own: exactly one new version, showing exactly this step.
      expect(doc.config.version).toBe(i + 1);
      expect(shown(doc)).toEqual(visible(STEPS[i]!));
      appliedAt[i] = seenNow();
    }
    beforeRewrite[STEPS.length] = seenNow();
    const result = await load;

    expect(result.requests.total).toBeGreaterThan(1000);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });

    // Every config version in turn: the access lines between its reload and the next one
    // name only its servers, and every version served traffic.
    const reloads = bw.events('config_reloaded');
    expect(reloads.map((l) => l['version'])).toEqual(STEPS.slice(1).map((_, i) => i + 2));
    expect(new Set(reloads.map((l) => l['trigger']))).toEqual(new Set(['file']));
    const access = bw.logs.filter((l) => l['msg'] === 'access');
    const at = [-Infinity, ...reloads.map((l) => l['time'] as number), Infinity];
    for (let i = 0; i < STEPS.length; i++) {
      const lines = access.filter((l) => (l['time'] as number) > at[i]! + EDGE_MS && (l['time'] as number) < at[i + 1]! - EDGE_MS);
      const strangers = lines.filter((l) => !((l['server'] as string) in STEPS[i]!.servers));
      expect({ version: i + 1, strangers: strangers.slice(0, 3) }).toEqual({ version: i + 1, strangers: [] });
      if (i < STEPS.length - 1) expect(lines.length, `requests served under version ${i + 1}`).toBeGreaterThan(0);
      expect(lines.every((l) => l['status'] === 200)).toBe(true);
      // The rotating schedulers split exactly by weight (round-robin: evenly): a window holds
      // consecutive picks, so each server's count is its share of them give or take the
      // rotation's position at the window's edges (measured: at most 1 off), however few.
      const step = STEPS[i]!;
      if (step.scheduler === 'weighted' || step.scheduler === 'round-robin') {
        const weight = (w: number): number => (step.scheduler === 'weighted' ? w : 1);
        const total = Object.values(step.servers).reduce((a, w) => a + weight(w), 0);
        for (const [name, w] of Object.entries(step.servers)) {
          const count = lines.filter((l) => l['server'] === name).length;
          expect(Math.abs(count - (lines.length * weight(w)) / total), `${name}'s ${count} of ${lines.length} under version ${i + 1}`).toBeLessThanOrEqual(2);
        }
      }
    }

    // Seen from the origins: a server out of the config for several versions gets no
    // request from the second of those versions on (earlier ones were in flight at the swap).
    let checked = 0;
    for (const name of NAMES) {
      for (const [from, to] of absences(name)) {
        if (to === from) continue;
        expect({ name, versions: `${from + 2}-${to + 1}`, requests: beforeRewrite[to + 1]![name]! - appliedAt[from + 1]![name]! }).toEqual({
          name,
          versions: `${from + 2}-${to + 1}`,
          requests: 0,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(origins.map((o) => o.requests.filter((r) => r.url === '/healthz').length).every((n) => n > 0)).toBe(true);

    // Exactly the pools of removed servers, and those replaced by new pool settings, closed.
    const pooled = (s: Step): boolean => s.upstream === POOLS;
    const closes = STEPS.slice(1).reduce((n, s, i) => {
      const prev = STEPS[i]!;
      return n + Object.keys(prev.servers).filter((name) => pooled(prev) !== pooled(s) || !(name in s.servers)).length;
    }, 0);
    await waitFor(() => bw.events('pool_closed').length >= closes, 5000, `${closes} pool_closed events`);
    expect(bw.events('pool_closed')).toHaveLength(closes);

    // After the last rewrite: only the final servers answer, b:d = 3:1.
    const counts = await tally(bw.url, 400);
    expect(Object.keys(counts).sort()).toEqual(['b', 'd']);
    expect(counts['b']).toBeGreaterThanOrEqual(270);
    expect(counts['b']).toBeLessThanOrEqual(330);
  });
});
