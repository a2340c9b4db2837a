/**
 * The session export as the admin API and the backup sidecar see it: every entry once,
 * while requests keep using the table between slices (paced as under traffic), and an
 * export abandoned half way (client gone) leaves no walk behind.
 */
import { describe, expect, it } from 'vitest';
import { StickyTable } from '../../../src/balancer/sticky/index.js';
import { sessionTables } from '../../../src/runtime/sessions.js';
import type { ProxyState } from '../../../src/proxy/state.js';

function setup(n: number) {
  const table = new StickyTable({ mode: 'cookie', name: 'sid', ttl: 3_600_000, max_entries: n * 2 }, { upstream: 'web' });
  for (let i = 0; i < n; i++) table.set(`k${i}`, i % 2 === 0 ? 'a' : 'b');
  const state = { upstreams: new Map([['web', { name: 'web', affinity: { table } }]]) } as unknown as ProxyState;
  return { table, state };
}

function keysOf(ndjson: string): string[] {
  return ndjson
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { key: string; upstream: string }).key);
}

describe('sessionTables().exportAll', () => {
  it('gives every entry exactly once while requests use and re-pin entries between slices', async () => {
    const n = 20_000;
    const { table, state } = setup(n);
    const sessions = sessionTables(() => state, () => true); // paced, as under traffic
    let text = '';
    let i = 0;
    for await (const chunk of sessions.exportAll()) {
      text += chunk;
      for (let j = 0; j < 50; j++, i += 7919) {
        const k = `k${i % n}`;
        if (j % 5 === 0) table.set(k, 'b');
        else table.get(k);
      }
    }
    const keys = keysOf(text);
    expect(keys).toHaveLength(n);
    expect(new Set(keys).size).toBe(n);
    expect(table.openWalks).toBe(0);
  });

  it('leaves no walk behind when the consumer stops early', async () => {
    const { table, state } = setup(50_000);
    const gen = sessionTables(() => state).exportAll()[Symbol.asyncIterator]();
    const first = await gen.next();
    expect(first.done).toBe(false);
    expect(table.openWalks).toBe(1);
    await gen.return!(undefined);
    expect(table.openWalks).toBe(0);
  });
});
