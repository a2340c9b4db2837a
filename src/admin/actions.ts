/**
 * @module admin/actions
 * What the admin API can change, as an interface the composition root implements
 * (HAProxy's runtime API in HTTP form). admin/ never touches proxy internals itself.
 */

export type ServerAction = 'drain' | 'disable' | 'enable';

export type ActionResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly error: string; readonly details?: readonly string[] };

export interface RunningConfig {
  readonly version: number;
  readonly loaded_at: string;
  readonly file: string;
  /** The config file's text as it was when this version was applied. */
  readonly text: string;
}

export interface AdminActions {
  /** Re-reads the config file and applies it (the same pipeline as a file change or SIGHUP). */
  reload(): Promise<ActionResult>;
  /** The running config, for the backup sidecar. */
  config(): RunningConfig;
  /** Every sticky-session entry of every upstream, one JSON object per line, in chunks. */
  exportSessions(): AsyncIterable<string>;
  /** Loads entries exported by exportSessions (merge keeps others; replace clears first). */
  importSessions(ndjson: string, mode: 'merge' | 'replace'): Promise<ActionResult>;
  /** The backup sidecar reports its last run here; shown in /status under `backup`. */
  backupReport(report: unknown): ActionResult;
  server(upstream: string, server: string, action: ServerAction): ActionResult;
  weight(upstream: string, server: string, weight: unknown): ActionResult;
  /** For a fleet's backup agent: the shared sessions and the fencing token, from the leader only (else 409; 404 without a fleet). */
  fleetSnapshot(): Promise<ActionResult>;
  /** POST /fleet/config: `text` validated on this node and stored for the fleet (400 with its issues; 404 without a fleet). `label` names it in issues. */
  fleetConfig(text: string, label: string): Promise<ActionResult>;
}
