/**
 * @module runtime/demo/origins
 * The demo's origins: one child process (runtime/demo/origin.js) per server address in the
 * config, each started, killed and restarted on demand. A child killed from another
 * terminal (`kill PID`) is noticed the same way: its exit is reported, and it can be
 * restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BulwarkConfig } from '../../core/config.js';
import type { OriginMessage } from './origin.js';

const PROGRAM = fileURLToPath(new URL('./origin.js', import.meta.url));

export interface OriginSpec {
  /** The name of the (first) server at this address. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Fails `down` ms out of every `cycle` ms (answers 503, health checks included). */
  readonly flaky?: { readonly down: number; readonly cycle: number };
}

export type OriginEvent =
  | { readonly type: 'started'; readonly index: number; readonly origin: OriginSpec; readonly pid: number }
  | { readonly type: 'exited'; readonly index: number; readonly origin: OriginSpec; readonly pid: number; readonly how: string; readonly killed: boolean };

/** One origin per distinct server address of every upstream, in config order. */
export function originSpecs(config: BulwarkConfig): OriginSpec[] {
  const byAddress = new Map<string, OriginSpec>();
  for (const u of config.upstreams.values()) {
    for (const s of u.servers) {
      const url = new URL(s.url);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      if (!byAddress.has(url.host)) byAddress.set(url.host, { name: s.name, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port });
    }
  }
  return [...byAddress.values()];
}

export class DemoOrigins {
  readonly specs: readonly OriginSpec[];
  readonly #children: Array<ChildProcess | undefined>;
  readonly #killing = new Set<ChildProcess>();
  readonly #onEvent: (e: OriginEvent) => void;

  constructor(specs: readonly OriginSpec[], onEvent: (e: OriginEvent) => void) {
    this.specs = specs;
    this.#children = specs.map(() => undefined);
    this.#onEvent = onEvent;
  }

  /** The running process of origin `index`, if any. */
  pid(index: number): number | undefined {
    return this.#children[index]?.pid;
  }

  /** Starts origin `index`; resolves with its pid once it listens, rejects if it cannot. */
  start(index: number): Promise<number> {
    const origin = this.specs[index]!;
    if (this.#children[index] !== undefined) return Promise.reject(new Error(`${origin.name} is already running (pid ${this.pid(index)})`));
    const flaky = origin.flaky === undefined ? [] : [String(origin.flaky.down), String(origin.flaky.cycle)];
    const child = spawn(process.execPath, [PROGRAM, origin.name, origin.host, String(origin.port), ...flaky], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#children[index] = child;
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      child.once('message', (m: OriginMessage) => {
        if (m.type === 'error') return reject(new Error(m.message));
        listening = true;
        this.#onEvent({ type: 'started', index, origin, pid: child.pid! });
        resolve(child.pid!);
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (this.#children[index] === child) this.#children[index] = undefined;
        const killed = this.#killing.delete(child);
        if (!listening) return reject(new Error(`demo origin ${origin.name} exited before listening (${signal ?? `exit code ${code}`})`));
        this.#onEvent({ type: 'exited', index, origin, pid: child.pid!, how: signal ?? `exit code ${code}`, killed });
      });
    });
  }

  /** Kills origin `index` with SIGTERM (what `kill PID` sends) and waits for it to exit. */
  async kill(index: number): Promise<void> {
    const child = this.#children[index];
    if (child === undefined) throw new Error(`${this.specs[index]!.name} is not running`);
    this.#killing.add(child);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** Starts every origin; if one cannot start, stops the others and rejects with its error. */
  async startAll(): Promise<void> {
    const results = await Promise.allSettled(this.specs.map((_, i) => this.start(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) return;
    await this.stopAll();
    throw failed.reason;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#children.map((c, i) => (c === undefined ? undefined : this.kill(i))));
  }
}
