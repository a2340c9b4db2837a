/**
 * @module cli/sessions
 * The sticky-session tables of every upstream as one NDJSON stream (each line names its
 * upstream), for GET /sessions/export, POST /sessions/import, backups and restores.
 *
 * Both directions run in chunks and yield to the event loop between them: a 100k-entry
 * table is ~9 MB of JSON, and building or parsing it in one go would stall the proxy for
 * a few hundred milliseconds every time the backup sidecar takes a snapshot. The tables'
 * keys are copied in one synchronous pass first (StickyTable.pins, the only part that
 * can't be split safely: the LRU list may not be walked while requests reorder it), so
 * the export is a point-in-time view while requests keep changing the tables.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ActionResult } from '../admin/actions.js';
import { parseNdjson, toNdjson, type StickyEntry } from '../balancer/sticky/index.js';
import type { ProxyState } from '../proxy/proxy.js';
import type { SessionTables } from './admin-actions.js';

/** Lines parsed between two yields to the event loop on import. */
export const SESSION_CHUNK = 5000;
/** Entries serialised between two yields on export (~2 ms of work each). */
export const EXPORT_CHUNK = 1000;

export function sessionTables(state: () => ProxyState): SessionTables {
  return {
    async *exportAll(): AsyncGenerator<string> {
      const tables = [...state().upstreams.values()].flatMap((u) => (u.affinity === undefined ? [] : [{ name: u.name, table: u.affinity.table, pins: u.affinity.table.pins() }]));
      for (const { name, table, pins } of tables) {
        for (let i = 0; i < pins.keys.length; i += EXPORT_CHUNK) {
          const entries: StickyEntry[] = [];
          for (let j = i; j < Math.min(i + EXPORT_CHUNK, pins.keys.length); j++) {
            const key = pins.keys[j]!;
            // A pin evicted since the copy is left out; one used since has a later expiry.
            const expiresAt = table.expiresAt(key);
            if (expiresAt !== undefined) entries.push({ key, server: pins.servers[j]!, expiresAt });
          }
          yield toNdjson(name, entries);
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
