/**
 * @module runtime/fleet/query
 * `bulwark fleet status`: reads the `fleet` section of a running node's /status through its
 * admin API. The config file gives the admin address (unless --admin does) and the token.
 */
import { AdminClient, resolveAdminTarget } from '../../admin/client.js';
import { loadConfigFile } from '../../config/index.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';

export interface FleetNodeView {
  readonly node: string;
  readonly config_version: number;
  readonly last_reload: string;
  readonly last_seen: string | null;
  readonly healthy: boolean;
}

export interface FleetView {
  readonly node: string;
  readonly connected: boolean;
  readonly leader: string | null;
  /** The leader's term: its fencing token (each new leader's is higher). */
  readonly leader_term: number | null;
  readonly nodes: readonly FleetNodeView[];
}

export interface FleetQuery {
  readonly configFile: string;
  /** --admin URL; else BULWARK_ADMIN_URL, else admin.listen from the file. */
  readonly admin?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** The fleet section of the node's /status; throws naming the node when it runs without `fleet:`. */
export async function readFleetStatus(q: FleetQuery): Promise<FleetView> {
  const { config } = await loadConfigFile(q.configFile);
  const client = new AdminClient(resolveAdminTarget(config, { admin: q.admin, env: q.env }), 10_000);
  const status = await client.json<{ fleet?: FleetView }>('GET', '/status');
  if (status.fleet === undefined) throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `the bulwark at ${client.url} runs without a fleet: block (it is not in a fleet)`);
  return status.fleet;
}
