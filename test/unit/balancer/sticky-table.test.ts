/**
 * @module test/unit/balancer/sticky-table
 * StickyTable: pins with a ttl that each get() restarts, LRU eviction at max_entries,
 * repins, import merge vs replace, and the round trip through the NDJSON codec at 100k
 * entries (timed and logged, not asserted). Time is a plain variable handed in as `now`.
 */
import { describe, expect, it } from 'vitest';
import { decodeNdjson, encodeNdjson, StickyTable } from '../../../src/balancer/sticky/index.js';
import type { StickyEntry } from '../../../src/balancer/sticky/index.js';
import type { StickyConfig } from '../../../src/core/config.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function table(over: Partial<StickyConfig> = {}, upstream = 'web') {
  const clock = { t: T0 };
  const config: StickyConfig = { mode: 'cookie', name: 'bulwark_sid', ttl: 30 * MIN, max_entries: 100, ...over };
  return { clock, t: new StickyTable(config, { upstream, now: () => clock.t }) };
}

describe('get and set', () => {
  it('pins a key to a server name and forgets it on delete and clear', () => {
    const { t } = table();
    expect(t.get('a')).toBeUndefined();
    t.set('a', 'web-1');
    t.set('b', 'web-2');
    expect([t.get('a'), t.get('b'), t.size]).toEqual(['web-1', 'web-2', 2]);
    expect(t.delete('a')).toBe(true);
    expect(t.delete('a')).toBe(false);
    expect(t.get('a')).toBeUndefined();
    t.clear();
    expect([t.get('b'), t.size]).toEqual([undefined, 0]);
  });

  it('counts a repin only when a live pin moves to another server', () => {
    const { t, clock } = table();
    t.set('a', 'web-1');
    t.set('a', 'web-1');
    expect(t.repins).toBe(0);
    t.set('a', 'web-2');
    expect([t.get('a'), t.repins]).toEqual(['web-2', 1]);
    clock.t += 31 * MIN;
    t.set('a', 'web-1'); // the old pin had expired: a new pin, not a move
    expect(t.repins).toBe(1);
  });
});

describe('ttl', () => {
  it('expires a pin ttl after it was set', () => {
    const { t, clock } = table({ ttl: 10_000 });
    t.set('a', 'web-1');
    t.set('b', 'web-1');
    clock.t += 10_000;
    expect([...t.entries()].map((e) => e.key)).toEqual(['a', 'b']); // exactly ttl: still live
    clock.t += 1;
    expect(t.get('a')).toBeUndefined();
    expect(t.size).toBe(1); // the expired pin met by get() is dropped; b waits
  });

  it('restarts the ttl on every get (updateAgeOnGet), as HAProxy refreshes on access', () => {
    const { t, clock } = table({ ttl: 10_000 });
    t.set('a', 'web-1');
    for (let i = 0; i < 5; i++) {
      clock.t += 9_000;
      expect(t.get('a')).toBe('web-1');
    }
    clock.t += 10_001;
    expect(t.get('a')).toBeUndefined();
  });

  it('keeps expired pins until met or purged (no timers), and never lists them', () => {
    const { t, clock } = table({ ttl: 10_000 });
    t.set('a', 'web-1');
    t.set('b', 'web-1');
    clock.t += 5_000;
    t.set('c', 'web-2');
    clock.t += 6_000;
    expect(t.size).toBe(3);
    expect([...t.entries()].map((e) => e.key)).toEqual(['c']);
    expect(t.purgeStale()).toBe(true);
    expect(t.size).toBe(1);
  });

  it('lists entries least recently used first, with their expiry in epoch ms', () => {
    const { t, clock } = table({ ttl: 10_000 });
    t.set('a', 'web-1');
    clock.t += 1_000;
    t.set('b', 'web-2');
    clock.t += 1_000;
    t.get('a');
    expect([...t.entries()]).toEqual([
      { key: 'b', upstream: 'web', server: 'web-2', expires_at: T0 + 11_000 },
      { key: 'a', upstream: 'web', server: 'web-1', expires_at: T0 + 12_000 },
    ]);
  });
});

describe('max_entries', () => {
  it('evicts the least recently used pin when full', () => {
    const { t } = table({ max_entries: 3 });
    for (const k of ['a', 'b', 'c']) t.set(k, 'web-1');
    t.get('a'); // b is now the least recently used
    t.set('d', 'web-2');
    expect(t.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((k) => t.get(k))).toEqual(['web-1', undefined, 'web-1', 'web-2']);
  });

  it('works with a single slot', () => {
    const { t } = table({ max_entries: 1 });
    t.set('a', 'web-1');
    t.set('b', 'web-2');
    expect([t.get('a'), t.get('b')]).toEqual([undefined, 'web-2']);
  });
});

describe('import', () => {
  const e = (key: string, server: string, expires_at: number, upstream = 'web'): StickyEntry => ({ key, upstream, server, expires_at });

  it("skips expired and malformed entries and other upstreams' ones, counting each", () => {
    const { t } = table();
    const bad = [{ key: '', upstream: 'web', server: 's', expires_at: T0 + MIN }, { key: 'k', upstream: 'web', server: 1, expires_at: T0 + MIN }, { key: 'k', server: 's', expires_at: T0 + MIN }, e('k', 's', NaN), null, 'x'];
    const counts = t.import([e('a', 'web-1', T0 + MIN), e('old', 'web-1', T0), e('x'.repeat(257), 'web-1', T0 + MIN), e('b', 'api-1', T0 + MIN, 'api'), ...(bad as unknown as StickyEntry[])], 'merge');
    expect(counts).toEqual({ imported: 1, expired: 1, invalid: 7, kept: 0, otherUpstream: 1 });
    expect([...t.entries()]).toEqual([e('a', 'web-1', T0 + MIN)]);
  });

  it('keeps each expiry, cut to ttl from now, and grants a full ttl on the next get', () => {
    const { t, clock } = table({ ttl: 10 * MIN });
    t.import([e('a', 'web-1', T0 + MIN), e('far', 'web-2', T0 + 60 * MIN)], 'replace');
    expect([...t.entries()]).toEqual([e('a', 'web-1', T0 + MIN), e('far', 'web-2', T0 + 10 * MIN)]);
    clock.t += MIN / 2;
    expect(t.get('a')).toBe('web-1');
    expect([...t.entries()].find((x) => x.key === 'a')?.expires_at).toBe(clock.t + 10 * MIN);
    clock.t = T0 + 10 * MIN + 1;
    expect(t.get('far')).toBeUndefined();
  });

  it('merge adds to the table and keeps whichever pin of a key expires later', () => {
    const { t, clock } = table({ ttl: 10 * MIN });
    t.set('mine', 'web-1'); // expires T0 + 10m
    t.set('stale', 'web-1');
    clock.t += 5 * MIN; // stale and mine now expire at T0 + 10m, 5m from now
    t.get('mine'); // mine: T0 + 15m
    const counts = t.import([e('mine', 'web-2', T0 + 12 * MIN), e('stale', 'web-2', T0 + 12 * MIN), e('new', 'web-3', T0 + 7 * MIN)], 'merge');
    expect(counts).toMatchObject({ imported: 2, kept: 1 });
    expect(['mine', 'stale', 'new'].map((k) => t.get(k))).toEqual(['web-1', 'web-2', 'web-3']);
    expect(t.repins).toBe(0); // imports are not repins
  });

  it('replace empties the table first, keeping the imported order as LRU order', () => {
    const { t } = table({ max_entries: 2 });
    t.set('mine', 'web-1');
    const counts = t.import([e('a', 'web-1', T0 + MIN), e('b', 'web-2', T0 + MIN), e('c', 'web-3', T0 + MIN)], 'replace');
    expect(counts.imported).toBe(3); // a is evicted by c: the oldest goes first
    expect(['mine', 'a', 'b', 'c'].map((k) => t.get(k))).toEqual([undefined, undefined, 'web-2', 'web-3']);
  });
});

describe('expiry read-out', () => {
  it('is exactly the expiry set, even when the clock moves between two reads of it', () => {
    let t = T0;
    const ticking = new StickyTable({ mode: 'cookie', name: 'sid', ttl: 10 * MIN, max_entries: 10 }, { upstream: 'web', now: () => t++ });
    ticking.set('a', 'web-1'); // lru-cache starts it at T0
    expect(ticking.expiresAt('a')).toBe(T0 + 10 * MIN);
    ticking.import([{ key: 'b', upstream: 'web', server: 'web-2', expires_at: T0 + 5 * MIN }], 'merge');
    expect([...ticking.entries()].map((e) => e.expires_at)).toEqual([T0 + 10 * MIN, T0 + 5 * MIN]);
  });
});

describe('through the NDJSON codec', () => {
  it('round-trips 100k entries: export, import into a fresh table, same content', () => {
    const n = 100_000;
    const { t, clock } = table({ max_entries: n, ttl: 30 * MIN });
    for (let i = 0; i < n; i++) {
      if (i % 1000 === 0) clock.t += 1; // spread the expiries
      t.set(`session-${i.toString(36)}-${'x'.repeat(i % 7)}`, `web-${i % 5}`);
    }
    const before = [...t.entries()];
    let start = performance.now();
    const text = encodeNdjson(t.entries());
    const exportMs = performance.now() - start;

    const { t: copy, clock: c } = table({ max_entries: n, ttl: 30 * MIN });
    c.t = clock.t;
    start = performance.now();
    const decoded = decodeNdjson(text);
    const counts = copy.import(decoded.entries, 'replace');
    const importMs = performance.now() - start;
    console.log(`sticky NDJSON, ${n} entries, ${(text.length / 1e6).toFixed(1)} MB: export ${exportMs.toFixed(0)} ms, import ${importMs.toFixed(0)} ms`);

    expect(decoded.invalid).toBe(0);
    expect(counts).toEqual({ imported: n, expired: 0, invalid: 0, kept: 0, otherUpstream: 0 });
    expect([...copy.entries()]).toEqual(before);
    expect(encodeNdjson(copy.entries())).toBe(text);
  });
});

/** Every key a walk gives, `step` at a time, running `between` after each step. */
function drain(t: StickyTable, step: number, between: (n: number) => void = () => {}): string[] {
  const w = t.walk();
  const given: string[] = [];
  for (let n = 0; !w.done; n++) {
    given.push(...w.next(step));
    if (n > 100_000) throw new Error('walk does not end');
    between(n);
  }
  return given;
}

describe('walk(), peek() and expiresAt(), the sliced export path', () => {
  it('gives live keys least recently used first; server and expiry are read later without refreshing', () => {
    const { clock, t } = table({ ttl: 1000 });
    t.set('a', 's1');
    clock.t += 100;
    t.set('b', 's2');
    clock.t += 100;
    expect(t.get('a')).toBe('s1'); // a is now the most recently used
    expect(drain(t, 10)).toEqual(['b', 'a']);
    expect([t.peek('b'), t.peek('a'), t.peek('missing')]).toEqual(['s2', 's1', undefined]);
    expect(t.expiresAt('a')).toBe(clock.t + 1000);
    expect(t.expiresAt('b')).toBe(clock.t - 100 + 1000);
    clock.t += 500;
    expect(t.expiresAt('b')).toBe(clock.t - 600 + 1000); // reading (or peeking) it did not refresh it
    expect(drain(t, 10)).toEqual(['b', 'a']); // nor reorder it
    clock.t += 1000;
    expect(t.expiresAt('b')).toBeUndefined();
    expect(t.expiresAt('missing')).toBeUndefined();
  });

  it('survives the cursor entry being used, re-pinned, deleted or evicted between steps', () => {
    for (const op of ['get', 'set', 'delete', 'evict', 'import'] as const) {
      const { t } = table({ max_entries: 10 });
      for (let i = 0; i < 10; i++) t.set(`k${i}`, 's1');
      const w = t.walk();
      const given = w.next(3); // k0 k1 k2; the cursor stands on k2
      expect(given).toEqual(['k0', 'k1', 'k2']);
      if (op === 'get') t.get('k2');
      if (op === 'set') t.set('k2', 's2');
      if (op === 'delete') t.delete('k2');
      if (op === 'evict') {
        t.get('k0');
        t.get('k1'); // k2 is now the least recently used: the next set evicts it
        t.set('new', 's1');
      }
      if (op === 'import') t.import([{ key: 'k2', upstream: 'web', server: 's2', expires_at: T0 + 60 * MIN }], 'merge'); // later than its pin: replaces it
      while (!w.done) given.push(...w.next(3));
      expect(w.restarts, op).toBe(1);
      const expected = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', ...(op === 'evict' ? ['new'] : [])];
      expect(given.sort(), op).toEqual(expected.sort());
    }
  });

  it('gives every key that lives through the walk exactly once, whatever requests do meanwhile', () => {
    let seed = 42;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const { t } = table({ max_entries: 400 });
    for (let i = 0; i < 300; i++) t.set(`k${i}`, 's1');
    const touched = new Set<string>(); // deleted, evicted or new: may or may not be given
    let fresh = 0;
    const given = drain(t, 7, () => {
      for (let j = 0; j < 5; j++) {
        const k = `k${rnd(300)}`;
        const r = rnd(10);
        if (r < 5) t.get(k);
        else if (r < 7) t.set(k, rnd(2) === 0 ? 's1' : 's2');
        else if (r < 8) {
          t.delete(k);
          touched.add(k);
        } else {
          const n = `n${fresh++}`; // a new session; past 400 pins each evicts the oldest
          t.set(n, 's1');
          touched.add(n);
        }
      }
    });
    expect(new Set(given).size).toBe(given.length); // no duplicates
    for (let i = 0; i < 300; i++) {
      const k = `k${i}`;
      if (!touched.has(k) && t.peek(k) !== undefined) expect(given, k).toContain(k);
    }
  });

  it('stops when closed: a closed walk gives nothing more', () => {
    const { t } = table();
    for (let i = 0; i < 5; i++) t.set(`k${i}`, 's1');
    const w = t.walk();
    expect(w.next(2)).toEqual(['k0', 'k1']);
    w.close();
    expect([w.done, w.next(2)]).toEqual([true, []]);
    t.get('k1'); // the table no longer reports to it
    expect(w.disturbed).toBe(false);
  });
});
