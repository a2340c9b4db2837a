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
import { decodeSteps, describeProblem, encodeLine, type ImportMode, type StickyEntry } from '../balancer/sticky/index.js';
import type { ProxyState } from '../proxy/state.js';
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
 * @param imported told the records and mode of each import applied (a group's primary passes them to its workers).
 */
export function sessionTables(state: () => ProxyState, busy: () => boolean = () => false, imported?: (entries: readonly StickyEntry[], mode: ImportMode) => void): SessionTables {
  return {
    async *exportAll(): AsyncGenerator<string> {
      const tables = [...state().upstreams.values()].flatMap((u) => (u.affinity === undefined ? [] : [{ name: u.name, table: u.affinity.table }]));
      for (const { name, table } of tables) {
        const walk = table.walk();
        try {
          while (!walk.done) {
            const t0 = performance.now();
            const now = table.now();
            let out = '';
            do {
              for (const key of walk.next(CLOCK_EVERY)) {
                const server = table.peek(key);
                const expires_at = table.expiresAt(key, now);
                if (server !== undefined && expires_at !== undefined) out += encodeLine({ key, upstream: name, server, expires_at });
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

    async importAll(ndjson: string, mode: ImportMode): Promise<ActionResult> {
      if (!hasSticky(state())) return NO_STICKY;
      // Parse in chunks (JSON.parse per line is the cost), yielding between them.
      const steps = decodeSteps(ndjson, SESSION_CHUNK);
      let r = steps.next();
      for (; r.done !== true; r = steps.next()) await yieldToLoop();
      const d = r.value;
      const result = importEntries(state(), d.entries, mode, d.invalid, d.problems.map(describeProblem));
      if (result.ok) imported?.(d.entries, mode);
      return result;
    },
  };
}

const NO_STICKY: ActionResult = { ok: false, status: 409, error: 'no upstream has sticky sessions configured' };

const hasSticky = (s: ProxyState): boolean => [...s.upstreams.values()].some((u) => u.affinity !== undefined);

/**
 * Loads session records into the sticky tables, each table in one go so `replace` never
 * leaves one half-filled (records of upstreams without a table are dropped). The answer of
 * POST /sessions/import; startup restore calls it with a snapshot's records directly.
 * `invalid` lines (and the first few `problems`, "line N: why") were refused before.
 */
export function importEntries(s: ProxyState, entries: readonly StickyEntry[], mode: ImportMode, invalid = 0, problems: string[] = []): ActionResult {
  const sticky = [...s.upstreams.values()].filter((u) => u.affinity !== undefined);
  if (sticky.length === 0) return NO_STICKY;
  const byUpstream = new Map<string, StickyEntry[]>(sticky.map((u) => [u.name, []]));
  for (const e of entries) byUpstream.get(e.upstream)?.push(e);
  const counts: Record<string, unknown> = {};
  for (const u of sticky) {
    const c = u.affinity!.table.import(byUpstream.get(u.name)!, mode);
    // A bad line could have been meant for any table: each counts it.
    counts[u.name] = { imported: c.imported, expired: c.expired, invalid: c.invalid + invalid, kept: c.kept, size: u.affinity!.table.size };
  }
  return { ok: true, body: { mode, upstreams: counts, ...(problems.length > 0 ? { problems } : {}) } };
}
