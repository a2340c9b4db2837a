/**
 * @module resilience/server-map
 * The per-server state map that follows a changed server list (hot reload): the `sync`
 * of outlier detection, the error-rate breaker and slow start. Servers in both keep their
 * state object untouched, new ones get `add(server)`, and those gone are deleted and
 * handed to `drop` (to cancel their timers). O(n) and idempotent: syncing the same list
 * again changes nothing. Caller guarantees: `add` and `drop` don't throw.
 */
import type { Server } from '../core/server.js';

export function syncServers<S>(
  map: Map<Server, S>,
  servers: readonly Server[],
  add: (server: Server) => S,
  drop: (server: Server, state: S) => void,
): void {
  const keep = new Set(servers);
  // Deleting the entry being visited is safe while iterating a Map.
  for (const [server, state] of map) {
    if (keep.has(server)) continue;
    map.delete(server);
    drop(server, state);
  }
  for (const server of keep) if (!map.has(server)) map.set(server, add(server));
}
