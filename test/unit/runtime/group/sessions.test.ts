/**
 * A worker's session store (runtime/group/sessions) against real StickyTables on a test
 * clock: a pin goes out at once, reads go out as one touch per upstream, and a touch keeps
 * a session alive in a copy that only the touches reach (the primary's, another worker's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StickyTable } from '../../../../src/balancer/sticky/index.js';
import type { PinMessage, TouchMessage } from '../../../../src/runtime/group/messages.js';
import { allSessions, applySessions, WorkerSessions } from '../../../../src/runtime/group/sessions.js';
import type { ProxyState } from '../../../../src/proxy/state.js';

const TTL = 60_000;

/** Every store's touch timer is stopped after its test. */
const opened: WorkerSessions[] = [];
afterEach(() => opened.splice(0).forEach((ws) => ws.close()));
const workerSessions = (send: ConstructorParameters<typeof WorkerSessions>[0]): WorkerSessions => {
  const ws = new WorkerSessions(send);
  opened.push(ws);
  return ws;
};

/** A process's tables: upstream "web" sticky, "plain" not. */
function processState(now: () => number): { table: StickyTable; state: ProxyState } {
  const table = new StickyTable({ mode: 'cookie', name: 'sid', ttl: TTL, max_entries: 100 }, { upstream: 'web', now });
  const state = { upstreams: new Map<string, unknown>([['web', { name: 'web', affinity: { table } }], ['plain', { name: 'plain' }]]) } as unknown as ProxyState;
  return { table, state };
}

describe('WorkerSessions', () => {
  it('sends each pin at once, and the keys it read as one touch per flush (none when nothing was read)', () => {
    const sent: Array<PinMessage | TouchMessage> = [];
    const ws = workerSessions((m) => sent.push(m));
    const { table } = processState(() => 1_000);
    const store = ws.factory(table);
    store.set('k1', 'a');
    store.set('k1', 'b', 'server_unavailable');
    expect(sent).toEqual([
      { type: 'pin', upstream: 'web', key: 'k1', server: 'a', reason: 'other' },
      { type: 'pin', upstream: 'web', key: 'k1', server: 'b', reason: 'server_unavailable' },
    ]);
    expect(table.peek('k1')).toBe('b');
    sent.length = 0;
    expect(store.get('k1')).toBe('b');
    expect(store.get('k1')).toBe('b');
    expect(store.get('missing')).toBeUndefined();
    ws.flush();
    expect(sent).toEqual([{ type: 'touch', upstream: 'web', keys: ['k1'] }]);
    ws.flush();
    expect(sent).toHaveLength(1);
    // A reload that keeps the table builds a new store: the reads still go out.
    ws.factory(table).get('k1');
    ws.flush();
    expect(sent.at(-1)).toEqual({ type: 'touch', upstream: 'web', keys: ['k1'] });
  });

  it("a session read only through one worker stays alive in the copies only its touches reach", () => {
    let now = 1_000;
    const clock = (): number => now;
    const worker = processState(clock);
    const primary = processState(clock);
    const untouched = processState(clock);
    const ws = workerSessions((m) => applySessions(primary.state, m));
    const store = ws.factory(worker.table);
    store.set('k', 'a');
    untouched.table.set('k', 'a');
    expect(primary.table.peek('k')).toBe('a');
    for (let t = 0; t < 3 * TTL; t += TTL / 4) {
      now += TTL / 4;
      expect(store.get('k')).toBe('a');
      ws.flush();
    }
    expect(primary.table.get('k')).toBe('a');
    expect(untouched.table.get('k')).toBeUndefined();
  });
});

describe('applySessions', () => {
  it('pins, touches and imports into the named sticky table; an upstream without one is skipped', () => {
    let now = 1_000;
    const { table, state } = processState(() => now);
    applySessions(state, { type: 'pin', upstream: 'web', key: 'k', server: 'a', reason: 'other' });
    applySessions(state, { type: 'pin', upstream: 'plain', key: 'k', server: 'a', reason: 'other' });
    applySessions(state, { type: 'pin', upstream: 'gone', key: 'k', server: 'a', reason: 'other' });
    applySessions(state, { type: 'pin', upstream: 'web', key: 'k', server: 'b', reason: 'server_removed' });
    expect(table.repinReasons.get('server_removed')).toBe(1);
    now += TTL - 1;
    applySessions(state, { type: 'touch', upstream: 'web', keys: ['k', 'unknown'] });
    expect(table.expiresAt('k')).toBe(now + TTL);
    expect(table.size).toBe(1);
    applySessions(state, { type: 'sessions', mode: 'replace', entries: [{ key: 'x', upstream: 'web', server: 'c', expires_at: now + 1000 }] });
    expect(allSessions(state)).toEqual([{ key: 'x', upstream: 'web', server: 'c', expires_at: now + 1000 }]);
  });
});
