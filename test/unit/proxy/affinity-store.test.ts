import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import type { StickyConfig } from '../../../src/core/config.js';
import { Server } from '../../../src/core/server.js';
import { CookieSigner, type StickyStore, type StickyTable } from '../../../src/balancer/sticky/index.js';
import { Affinity } from '../../../src/proxy/affinity.js';

const servers = [1, 2].map((i) => new Server({ upstream: 'web', name: `s${i}`, origin: `http://127.0.0.1:${i}`, weight: 1 }));
const config = (mode: StickyConfig['mode'], name: string | undefined): StickyConfig => ({ mode, name, ttl: 60_000, max_entries: 100 });
const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

/** A store as a worker group's would be: reads the local table, and records each pin it is asked to make. */
function recording(): { sent: [string, string][]; factory: (t: StickyTable) => StickyStore } {
  const sent: [string, string][] = [];
  return {
    sent,
    factory: (t) => ({
      get: (key) => t.get(key),
      set: (key, server, reason) => {
        t.set(key, server, reason);
        sent.push([key, server]);
      },
    }),
  };
}

describe('Affinity through a StickyStore', () => {
  it('without a factory the table is the store (one process, no wrapper)', () => {
    const a = new Affinity(config('ip', undefined), 'web', () => servers);
    expect(a.store).toBe(a.table);
  });

  it('cookie mode: the pin of a new session goes through the store, and a known id is honoured from it', () => {
    const r = recording();
    const a = new Affinity(config('cookie', 'bw'), 'web', () => servers, undefined, r.factory);
    const cookie = a.commit(undefined, servers[1]!, []);
    const id = /^bw=([^;]+)/.exec(cookie!)![1]!;
    expect(r.sent).toEqual([[id, 's2']]);
    expect(a.pinned(a.key(req({ cookie: `bw=${id}` }), undefined)!, servers)).toBe(servers[1]);
    // Answered by the server it is pinned to: nothing new to send.
    expect(a.commit(id, servers[1]!, [])).toBeUndefined();
    expect(r.sent).toHaveLength(1);
  });

  it('learn mode: the learnt session cookie is pinned through the store', () => {
    const r = recording();
    const a = new Affinity(config('learn', 'JSESSIONID'), 'web', () => servers, undefined, r.factory);
    a.commit(undefined, servers[0]!, ['set-cookie', 'JSESSIONID=abc; Path=/']);
    expect(r.sent).toEqual([['abc', 's1']]);
  });

  it('reads pins from the store, so a pin another process made is followed', () => {
    const shared = new Map<string, string>([['10.0.0.9', 's2']]);
    const a = new Affinity(config('ip', undefined), 'web', () => servers, undefined, () => ({ get: (k) => shared.get(k), set: (k, s) => void shared.set(k, s) }));
    expect(a.pinned('10.0.0.9', servers)).toBe(servers[1]);
    a.commit('10.0.0.7', servers[0]!, []);
    expect(shared.get('10.0.0.7')).toBe('s1');
    expect(a.table.size).toBe(0);
  });

  it("signed cookie mode (a fleet's store.signer): the cookie carries its server, a move mints a new one and counts, no table is used", () => {
    const signer = new CookieSigner(Buffer.alloc(32, 7), 'web', () => servers.map((s) => s.name));
    const a = new Affinity(config('cookie', 'bw'), 'web', () => servers, undefined, (t) => ({ get: (k) => t.get(k), set: (k, s, r) => t.set(k, s, r), signer }));
    const first = /^bw=([^;]+)/.exec(a.commit(undefined, servers[1]!, [])!)![1]!;
    expect(a.pinned(first, servers)).toBe(servers[1]);
    expect(a.commit(first, servers[1]!, [])).toBeUndefined();
    // Its server drained: the one that answered gets the session, with a new cookie, counted as a re-pin.
    servers[1]!.setFlag('draining', 'test', 1);
    try {
      expect(a.pinned(first, servers)).toBeUndefined();
      expect(a.missReason(first)).toBe('repin(s2:draining)');
      const moved = /^bw=([^;]+)/.exec(a.commit(first, servers[0]!, [])!)![1]!;
      expect(signer.read(moved)).toBe('s1');
      expect(a.table.repinReasons.get('server_unavailable')).toBe(1);
    } finally {
      servers[1]!.clearFlag('draining', 'test', 2);
    }
    // A cookie that does not verify is replaced without counting a re-pin.
    expect(a.commit('made-up', servers[0]!, [])).toMatch(/^bw=/);
    expect(a.table.repins).toBe(1);
    expect(a.table.size).toBe(0);
    expect(a.lookup(first)).toBeUndefined();
  });
});
