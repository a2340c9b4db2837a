/**
 * @module cli/sessions
 * The sticky-session tables of every upstream as one NDJSON stream (each line names its
 * upstream), for GET /sessions/export, POST /sessions/import, backups and restores.
 */
import type { ActionResult } from '../admin/actions.js';
import type { ProxyState } from '../proxy/proxy.js';
import type { SessionTables } from './admin-actions.js';

export function sessionTables(state: () => ProxyState): SessionTables {
  return {
    exportAll(): string {
      let out = '';
      for (const u of state().upstreams.values()) if (u.affinity !== undefined) out += u.affinity.table.exportNdjson();
      return out;
    },
    importAll(ndjson: string, mode: 'merge' | 'replace'): ActionResult {
      const sticky = [...state().upstreams.values()].filter((u) => u.affinity !== undefined);
      if (sticky.length === 0) return { ok: false, status: 409, error: 'no upstream has sticky sessions configured' };
      const counts: Record<string, unknown> = {};
      for (const u of sticky) {
        const c = u.affinity!.table.importNdjson(ndjson, mode);
        counts[u.name] = { imported: c.imported, expired: c.expired, invalid: c.invalid, kept: c.kept, size: u.affinity!.table.size };
      }
      return { ok: true, body: { mode, upstreams: counts } };
    },
  };
}
