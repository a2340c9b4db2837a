/**
 * @module runtime/demo/monitor
 * The demo's view of bulwark: one line for every flag a server gets or loses (the health
 * checker, outlier detection, the breaker or the admin API set them), followed by the state
 * of every server, so a person sees failover as it happens.
 */
import type { Server } from '../../core/server.js';

/** What the monitor reads: the running upstreams and their servers (the App is one). */
export interface ServerSource {
  readonly proxy: { readonly state: { readonly upstreams: ReadonlyMap<string, { readonly servers: { readonly all: readonly Server[] } }> } };
}

/** HH:MM:SS, local time: the demo's lines are read by a person next to a clock. */
export function clockTime(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

export class FlagMonitor {
  readonly #source: ServerSource;
  readonly #print: (line: string) => void;
  readonly #watched = new WeakSet<Server>();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(source: ServerSource, print: (line: string) => void) {
    this.#source = source;
    this.#print = print;
  }

  #servers(): Server[] {
    return [...this.#source.proxy.state.upstreams.values()].flatMap((u) => u.servers.all);
  }

  /** A server's label: its name, or upstream/name when there are several upstreams. */
  #label(s: Server): string {
    return this.#source.proxy.state.upstreams.size > 1 ? `${s.upstream}/${s.name}` : s.name;
  }

  /**
   * Follows every server of the running config. A reload that adds or replaces servers
   * makes new Server objects, so the demo calls this again now and then; a server already
   * followed is skipped.
   */
  watch(): void {
    for (const s of this.#servers()) {
      if (this.#watched.has(s)) continue;
      this.#watched.add(s);
      this.#unsubscribe.push(
        s.onFlagChange((c) => {
          this.#print(`${clockTime(c.at)} ${this.#label(s)} ${c.set ? 'marked' : 'cleared'} ${c.flag}: ${c.reason}`);
          this.#print(`         now: ${this.table()}`);
        }),
      );
    }
  }

  /** Every server's state on one line: `demo-1 up | demo-2 DOWN (failed_health_check)`. */
  table(): string {
    return this.#servers()
      .map((s) => (s.available ? `${this.#label(s)} up` : `${this.#label(s)} DOWN (${[...s.flags.keys()].join(', ')})`))
      .join(' | ');
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }
}
