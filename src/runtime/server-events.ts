/**
 * @module runtime/server-events
 * Logs every flag change of every server (set: a warning, cleared: news). A Server object
 * outlives reloads that keep it, so each is followed once, from the first state it is in.
 */
import type pino from 'pino';
import type { Server } from '../core/server.js';

export class ServerEvents {
  readonly #log: pino.Logger;
  readonly #watched = new WeakSet<Server>();

  constructor(log: pino.Logger) {
    this.#log = log;
  }

  watch(servers: readonly Server[]): void {
    for (const s of servers) {
      if (this.#watched.has(s)) continue;
      this.#watched.add(s);
      s.onFlagChange((c) =>
        this.#log[c.set ? 'warn' : 'info'](
          { event: c.set ? 'server_flag_set' : 'server_flag_cleared', server: s.id, flag: c.flag, reason: c.reason, available: s.available },
          `server ${s.id} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`,
        ),
      );
    }
  }
}
