/**
 * @module runtime/fleet/query
 * `bulwark fleet status`: reads the `fleet` section of a running node's /status through its
 * admin API. The config file gives the admin address (unless --admin does) and the token.
 */
import { stat, readFile } from 'node:fs/promises';
import { AdminClient, errorText, resolveAdminTarget } from '../../admin/client.js';
import { loadConfigFile, MAX_CONFIG_BYTES } from '../../config/index.js';
import { BulwarkError, ErrorCodes } from '../../core/errors.js';

export interface FleetNodeView {
  readonly node: string;
  readonly config_version: number;
  readonly last_reload: string;
  readonly last_seen: string | null;
  readonly healthy: boolean;
  /** Why its last reload was refused (a fleet config it could not apply); null when none. */
  readonly config_error?: string | null;
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

/**
 * `bulwark fleet push FILE`: POSTs the file to a node's /fleet/config; resolves with the
 * version stored. Throws with the node's answer (a 400 lists every issue, each named FILE).
 */
export async function pushFleetFile(q: FleetQuery & { readonly file: string }): Promise<{ version: number; url: string }> {
  const { config } = await loadConfigFile(q.configFile);
  const client = new AdminClient(resolveAdminTarget(config, { admin: q.admin, env: q.env }), 30_000);
  let text: string;
  try {
    if ((await stat(q.file)).size > MAX_CONFIG_BYTES) throw new Error(`over the ${MAX_CONFIG_BYTES} byte (1 MiB) limit`);
    text = await readFile(q.file, 'utf8');
  } catch (err) {
    throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `cannot read ${q.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const r = await client.fleetConfig(text, q.file);
  if (r.status !== 200) throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `${client.url} answered ${r.status}: ${errorText(r.text)}`);
  return { version: (JSON.parse(r.text) as { version: number }).version, url: client.url };
}
