/**
 * @module runtime/server-events
 * Logs every flag change of every server (set: a warning, cleared: news). A Server object
 * outlives reloads that keep it, so each is followed once, from the first state it is in.
 * The same changes feed the alerts (server_down/server_up when availability flips).
 */
import type pino from 'pino';
import type { Server } from '../core/server.js';
import type { Alerts } from './alerts/index.js';

export class ServerEvents {
  readonly #log: pino.Logger;
  readonly #watched = new WeakSet<Server>();
  readonly #alerts: Alerts | undefined;

  constructor(log: pino.Logger, alerts?: Alerts) {
    this.#log = log;
    this.#alerts = alerts;
  }

  watch(servers: readonly Server[]): void {
    for (const s of servers) {
      if (this.#watched.has(s)) continue;
      this.#watched.add(s);
      let available = s.available;
      s.onFlagChange((c) => {
        this.#alerts?.serverChanged(s, c.flag, c.set, c.reason, available);
        available = s.available;
        this.#log[c.set ? 'warn' : 'info'](
          { event: c.set ? 'server_flag_set' : 'server_flag_cleared', server: s.id, flag: c.flag, reason: c.reason, available: s.available },
          `server ${s.id} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`,
        );
      });
    }
  }
}
