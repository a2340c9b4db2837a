/**
 * @module balancer/server-set
 * The available-server view a scheduler picks from. It listens to every server's flag
 * changes and rebuilds a fresh frozen array when availability changes, so the hot path
 * reads one property and schedulers can cache derived state by array identity.
 */
import type { Server } from '../core/server.js';

export class ServerSet {
  readonly all: readonly Server[];
  #available: readonly Server[];
  readonly #unsubscribe: Array<() => void> = [];

  constructor(servers: readonly Server[]) {
    this.all = Object.freeze([...servers]);
    this.#available = this.#compute();
    for (const s of this.all) this.#unsubscribe.push(s.onFlagChange(() => this.refresh()));
  }

  /**
   * Servers with no flag set, in configuration order: the available primaries, or the
   * available backups when no primary is available. A new array after every change.
   */
  get available(): readonly Server[] {
    return this.#available;
  }

  /** Rebuilds the view; call after changing something schedulers cache (e.g. a weight). */
  refresh(): void {
    this.#available = this.#compute();
  }

  find(name: string): Server | undefined {
    return this.all.find((s) => s.name === name);
  }

  /** Stops listening to the servers (call when the set is retired). */
  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  #compute(): readonly Server[] {
    const primaries = this.all.filter((s) => s.available && !s.backup);
    return Object.freeze(primaries.length > 0 ? primaries : this.all.filter((s) => s.available && s.backup));
  }
}
