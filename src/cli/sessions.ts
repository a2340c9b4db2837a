/**
 * @module cli/sessions
 * The sticky-session tables of every upstream as one NDJSON stream (each line names its
 * upstream), for GET /sessions/export, POST /sessions/import, backups and restores.
 *
 * Both directions run in chunks and yield to the event loop between them: a 100k-entry
 * table is ~9 MB of JSON, and building or parsing it in one go would stall the proxy for
 * a few hundred milliseconds every time the backup sidecar takes a snapshot. The tables
 * are copied in one synchronous pass first (cheap), so the export is a consistent
 * point-in-time view while requests keep changing them.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ActionResult } from '../admin/actions.js';
import { parseNdjson, toNdjson, type StickyEntry } from '../balancer/sticky/index.js';
import type { ProxyState } from '../proxy/proxy.js';
import type { SessionTables } from './admin-actions.js';

/** Entries serialised or parsed between two yields to the event loop. */
export const SESSION_CHUNK = 5000;

export function sessionTables(state: () => ProxyState): SessionTables {
  return {
    async *exportAll(): AsyncGenerator<string> {
      const tables = [...state().upstreams.values()].flatMap((u) => (u.affinity === undefined ? [] : [{ name: u.name, entries: [...u.affinity.table.entries()] }]));
      for (const t of tables) {
        for (let i = 0; i < t.entries.length; i += SESSION_CHUNK) {
          yield toNdjson(t.name, t.entries.slice(i, i + SESSION_CHUNK));
          await yieldToLoop();
        }
      }
    },

    async importAll(ndjson: string, mode: 'merge' | 'replace'): Promise<ActionResult> {
      const sticky = [...state().upstreams.values()].filter((u) => u.affinity !== undefined);
      if (sticky.length === 0) return { ok: false, status: 409, error: 'no upstream has sticky sessions configured' };
      // Parse in chunks (JSON.parse per line is the cost), then load each table in one go
      // so `replace` never leaves a table half-filled.
      const lines = ndjson.split('\n');
      const parsed = new Map<string, StickyEntry[]>(sticky.map((u) => [u.name, []]));
      let invalid = 0;
      for (let i = 0; i < lines.length; i += SESSION_CHUNK) {
        const chunk = lines.slice(i, i + SESSION_CHUNK).join('\n');
        // Each table reads its own lines (usually one sticky upstream); malformed lines
        // are the same for every table, so they are counted once.
        sticky.forEach((u, n) => {
          const p = parseNdjson(chunk, u.name);
          for (const e of p.entries) parsed.get(u.name)!.push(e);
          if (n === 0) invalid += p.invalid;
        });
        await yieldToLoop();
      }
      const counts: Record<string, unknown> = {};
      for (const u of sticky) {
        const c = u.affinity!.table.import(parsed.get(u.name)!, mode);
        counts[u.name] = { imported: c.imported, expired: c.expired, invalid: c.invalid + invalid, kept: c.kept, size: u.affinity!.table.size };
      }
      return { ok: true, body: { mode, upstreams: counts } };
    },
  };
}
