/**
 * @module runtime/sessions
 * The sticky-session tables of every upstream as one NDJSON stream (each line names its
 * upstream), for GET /sessions/export, POST /sessions/import, backups and restores.
 *
 * Both directions run in pieces and yield to the event loop between them: a 100k-entry
 * table is ~10 MB of JSON, and building or parsing it in one go would stall the proxy for
 * a few hundred milliseconds every time the backup sidecar takes a snapshot.
 *
 * Export is a background job with a low priority, like a nice'd process. It works in
 * slices of about EXPORT_SLICE_MS; after each, when requests are in flight (`busy`), it
 * pauses EXPORT_PAUSE_MS, so it takes at most ~1/20 of the event loop while traffic flows
 * and the requests' p99 during a snapshot barely moves (`node benchmarks/backup.js`);
 * when the proxy is idle it only yields, and 100k entries export in ~0.2 s. Each table
 * is read through a StickyTable walk, which survives requests reordering the table
 * between slices: no pass over the whole table ever runs in one go. The export is a
 * fuzzy snapshot, as a walk defines it: every session that lives through the export is in
 * it exactly once, with its pin as of its slice; one that starts or ends meanwhile may or
 * may not be.
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { ActionResult } from '../admin/actions.js';
import { jsonString } from '../core/format.js';
import { ndjsonLine, parseNdjson, type StickyEntry } from '../balancer/sticky/index.js';
import type { ProxyState } from '../proxy/proxy.js';
import type { SessionTables } from './overrides.js';

/** Lines parsed between two yields to the event loop on import. */
export const SESSION_CHUNK = 5000;
/** Export works for about this long (ms) between two pauses... */
export const EXPORT_SLICE_MS = 0.5;
/** ...and, while requests are in flight, pauses this long (ms) after each slice, so they go first. */
export const EXPORT_PAUSE_MS = 10;
/** Entries serialised between two looks at the clock. */
const CLOCK_EVERY = 64;

/**
 * @param busy whether requests are being served right now (export then paces itself);
 *   default never, for callers with no traffic to protect.
 */
export function sessionTables(state: () => ProxyState, busy: () => boolean = () => false): SessionTables {
  return {
    async *exportAll(): AsyncGenerator<string> {
      const tables = [...state().upstreams.values()].flatMap((u) => (u.affinity === undefined ? [] : [{ name: u.name, table: u.affinity.table }]));
      for (const { name, table } of tables) {
        const u = jsonString(name);
        const walk = table.walk();
        try {
          while (!walk.done) {
            const t0 = performance.now();
            const now = table.now();
            let out = '';
            do {
              for (const key of walk.next(CLOCK_EVERY)) {
                const server = table.peek(key);
                const expiresAt = table.expiresAt(key, now);
                if (server !== undefined && expiresAt !== undefined) out += ndjsonLine(u, key, server, expiresAt);
              }
            } while (!walk.done && performance.now() - t0 < EXPORT_SLICE_MS);
            if (out !== '') yield out;
            if (!walk.done) await (busy() ? sleep(EXPORT_PAUSE_MS) : yieldToLoop());
          }
        } finally {
          walk.close(); // also when the consumer stops early (client gone)
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
