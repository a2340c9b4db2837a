/**
 * @module runtime/demo
 * `npm run demo`: bulwark in front of one demo origin process per server address in the
 * config (conf/demo.yaml: four, the last one flaky). bulwark's JSON log goes to a file so
 * that the terminal shows only what a person watches for: each server's flags changing as
 * origins fail, are killed and come back. The keys (`k 2`, `r 2`, ...) reach `command`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { loadConfigFile } from '../../config/index.js';
import { App } from '../app.js';
import { FlagMonitor, clockTime } from './monitor.js';
import { DemoOrigins, originSpecs, type OriginEvent, type OriginSpec } from './origins.js';

/** The flaky origin's cycle: 503 for the last `down` ms of every `cycle` ms. */
export const FLAKY = { down: 4_000, cycle: 12_000 } as const;

/** The keys, as the demo's help and its answer to `h` list them. */
export const KEYS = 'k N kills origin N, r N restarts it, s shows every server, q quits (so does Ctrl-C)';

export interface DemoOptions {
  readonly configFile: string;
  /** The server whose origin is flaky: a name, `none`, or undefined for the last one. */
  readonly flaky: string | undefined;
  /** Where bulwark's JSON log goes; undefined: stdout, among the demo's lines. */
  readonly logFile: string | undefined;
  /** Prints one line for a person (flag changes, origins starting and exiting). */
  readonly print: (line: string) => void;
}

export class Demo {
  readonly origins: DemoOrigins;
  readonly #app: App;
  readonly #monitor: FlagMonitor;
  readonly #log: WriteStream | undefined;
  readonly #rewatch: NodeJS.Timeout;
  #stopping: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(app: App, origins: DemoOrigins, log: WriteStream | undefined, print: (line: string) => void) {
    this.#app = app;
    this.origins = origins;
    this.#log = log;
    this.#monitor = new FlagMonitor(app, print);
    this.#monitor.watch();
    // A reload of the config file may bring new servers: follow them too.
    this.#rewatch = setInterval(() => this.#monitor.watch(), 1000).unref();
  }

  static async start(opts: DemoOptions): Promise<Demo> {
    const { config } = await loadConfigFile(opts.configFile);
    const specs = withFlaky(originSpecs(config), opts.flaky);
    let demo: Demo | undefined;
    const origins = new DemoOrigins(specs, (e) => {
      // Quiet while starting (the caller prints the pids) and while stopping.
      if (demo !== undefined && demo.#stopping === undefined) opts.print(originLine(e));
    });
    const log = opts.logFile === undefined ? undefined : await openLog(opts.logFile);
    try {
      await origins.startAll();
      const app = await App.start({ configFile: opts.configFile, logDestination: log }).catch(async (err: unknown) => {
        await origins.stopAll();
        throw err;
      });
      demo = new Demo(app, origins, log, opts.print);
      return demo;
    } catch (err) {
      log?.end();
      throw err;
    }
  }

  get proxyUrl(): string {
    const a = this.#app.addresses[0]!;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
  }

  get statusUrl(): string {
    const a = this.#app.adminAddress!;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/status`;
  }

  /** Every server's state on one line, with the time. */
  table(): string {
    return `${clockTime(Date.now())} now: ${this.#monitor.table()}`;
  }

  /** Runs one line typed at the demo, after the lines before it; returns what to print, or `quit`. */
  command(line: string): Promise<string | 'quit'> {
    // One at a time: `k 2` then `r 2` typed quickly must restart after the kill is done.
    const run = this.#queue.then(() => this.#command(line));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #command(line: string): Promise<string | 'quit'> {
    const [key = '', arg] = line.trim().split(/\s+/);
    if (key === '') return '';
    if (key === 'q' || key === 'quit') return 'quit';
    if (key === 's' || key === 'status') return this.table();
    if (key === 'h' || key === 'help' || key === '?') return KEYS;
    if (key !== 'k' && key !== 'kill' && key !== 'r' && key !== 'restart') return `unknown key "${key}": ${KEYS}`;
    const i = this.#origin(arg);
    if (typeof i === 'string') return i;
    try {
      if (key.startsWith('k')) await this.origins.kill(i);
      else await this.origins.start(i);
      return '';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** The origin `arg` names (its number from 1, or its name), or why there is none. */
  #origin(arg: string | undefined): number | string {
    const specs = this.origins.specs;
    const n = Number(arg);
    if (Number.isInteger(n) && n >= 1 && n <= specs.length) return n - 1;
    const i = specs.findIndex((o) => o.name === arg);
    return i >= 0 ? i : `which origin? a number from 1 to ${specs.length} or a name (${specs.map((o) => o.name).join(', ')})`;
  }

  /** Drains bulwark first (its in-flight requests still reach the origins), then stops the origins. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#rewatch);
      this.#monitor.close();
      await this.#app.stop();
      await this.origins.stopAll();
      if (this.#log !== undefined) await new Promise((r) => this.#log!.end(r));
    })();
    return this.#stopping;
  }
}

function withFlaky(specs: OriginSpec[], flaky: string | undefined): OriginSpec[] {
  if (flaky === 'none') return specs;
  const i = flaky === undefined ? specs.length - 1 : specs.findIndex((o) => o.name === flaky);
  if (i < 0) throw new Error(`--flaky ${flaky}: no server of that name; the servers: ${specs.map((o) => o.name).join(', ')}`);
  return specs.map((o, j) => (j === i ? { ...o, flaky: FLAKY } : o));
}

function originLine(e: OriginEvent): string {
  const n = e.index + 1;
  const at = `${clockTime(Date.now())} origin ${e.origin.name}`;
  if (e.type === 'started') return `${at} started (pid ${e.pid}) on ${e.origin.host}:${e.origin.port}`;
  return `${at} (pid ${e.pid}) ${e.killed ? 'killed' : `exited (${e.how})`}: r ${n} restarts it`;
}

/** Opens (truncates) the log file; rejects naming the file when it cannot be written. */
function openLog(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file);
  return new Promise((resolve, reject) => {
    stream.once('open', () => resolve(stream));
    stream.once('error', (err) => reject(new Error(`demo log ${file}: ${err.message}`)));
  });
}
