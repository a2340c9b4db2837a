/**
 * @module admin/actions
 * What the admin API can change, as an interface the composition root implements
 * (HAProxy's runtime API in HTTP form). admin/ never touches proxy internals itself.
 */

export type ServerAction = 'drain' | 'disable' | 'enable';

export type ActionResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly error: string; readonly details?: readonly string[] };

export interface AdminActions {
  /** Re-reads the config file and applies it (the same pipeline as a file change or SIGHUP). */
  reload(): Promise<ActionResult>;
  server(upstream: string, server: string, action: ServerAction): ActionResult;
  weight(upstream: string, server: string, weight: unknown): ActionResult;
}
