/**
 * @module runtime/server-events
 * Logs every flag change of every server (set: a warning, cleared: news). A Server object
 * outlives reloads that keep it, so each is followed once, from the first state it is in.
 * The same changes feed the alerts (server_down/server_up when availability flips).
 * Flags another process decided and relayed here (a group worker's health and admin flags,
 * which its primary logs once for the group) are logged at debug only.
 */
import type pino from 'pino';
import type { Server, ServerFlag } from '../core/server.js';
import type { Alerts } from './alerts/index.js';

export class ServerEvents {
  readonly #log: pino.Logger;
  readonly #watched = new WeakSet<Server>();
  readonly #alerts: Alerts | undefined;
  readonly #relayed: ReadonlySet<ServerFlag>;

  constructor(log: pino.Logger, alerts?: Alerts, relayed: ReadonlySet<ServerFlag> = new Set()) {
    this.#log = log;
    this.#alerts = alerts;
    this.#relayed = relayed;
  }

  watch(servers: readonly Server[]): void {
    for (const s of servers) {
      if (this.#watched.has(s)) continue;
      this.#watched.add(s);
      let available = s.available;
      s.onFlagChange((c) => {
        this.#alerts?.serverChanged(s, c.flag, c.set, c.reason, available);
        available = s.available;
        this.#log[this.#relayed.has(c.flag) ? 'debug' : c.set ? 'warn' : 'info'](
          { event: c.set ? 'server_flag_set' : 'server_flag_cleared', server: s.id, flag: c.flag, reason: c.reason, available: s.available },
          `server ${s.id} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`,
        );
      });
    }
  }
}
