/**
 * @module test/helpers/fleet
 * N real bulwark processes (`bulwark start`, via CliProcess, so a test can kill -9 one)
 * sharing one real redis-server (startRedis), each with its own proxy and admin port
 * (127.0.0.1:0) and a config built from a function of its node name. Every process and the
 * Redis are registered with the caller's Harness, so the test leaves nothing running.
 * Needs the built CLI (`npm run build`; call assertBuilt in a beforeAll).
 */
import type { Harness } from './harness.js';
import { CliProcess, tempConfig } from './cli.js';
import { startRedis, type TestRedis } from './redis.js';

let counter = 0;

/** A key prefix no other test (nor a parallel test file) uses: the pid and a counter. */
export function uniquePrefix(tag = 'fleet'): string {
  counter += 1;
  return `${tag}:${process.pid}:${counter}:`;
}

/** What a node's config function is given. */
export interface NodeSpec {
  readonly name: string;
  readonly redisUrl: string;
  readonly prefix: string;
  /** `fleet: { redis, node, prefix, ...extra }` as one YAML line (extra: more flow-map entries). */
  fleetBlock(extra?: string): string;
}

export interface FleetNode {
  readonly name: string;
  proc: CliProcess;
  /** "http://127.0.0.1:PORT" of its first proxy listener / of its admin listener. */
  readonly url: string;
  readonly adminUrl: string;
}

export interface TestFleet {
  readonly redis: TestRedis;
  readonly prefix: string;
  readonly nodes: FleetNode[];
  node(name: string): FleetNode;
  /** SIGKILLs the node's process and waits for its exit (a crash: nothing is flushed). */
  kill(name: string): Promise<void>;
  /** Starts the node again with its config (new ports); replaces it in `nodes`. */
  restart(name: string): Promise<FleetNode>;
  /** GET /status's `fleet` object from the node's admin listener. */
  status(name: string): Promise<Record<string, unknown>>;
}

export interface FleetOptions {
  readonly names: readonly string[];
  /** The whole YAML of a node; use spec.fleetBlock() as a top-level line. */
  readonly config: (spec: NodeSpec) => string;
  /** A Redis the test already started (default: a new one, closed after the test). */
  readonly redis?: TestRedis;
  readonly prefix?: string;
}

function specFor(name: string, redis: TestRedis, prefix: string): NodeSpec {
  return {
    name,
    redisUrl: redis.url,
    prefix,
    fleetBlock: (extra) => `fleet: { redis: "${redis.url}", node: ${name}, prefix: "${prefix}"${extra ? `, ${extra}` : ''} }`,
  };
}

/** Generous: a node with workers, on a busy 2-core machine, can take seconds to listen. */
const START_MS = 30_000;

async function launch(h: Harness, yaml: string): Promise<CliProcess> {
  const p = CliProcess.spawn(h, await tempConfig(h, yaml));
  await p.started(START_MS);
  return p;
}

function wrap(name: string, proc: CliProcess): FleetNode {
  return { name, proc, url: proc.url, adminUrl: `http://127.0.0.1:${proc.adminPort}` };
}

/** Starts the Redis (unless given) and the nodes, in order, each waited for ("started"). */
export async function startFleet(h: Harness, opts: FleetOptions): Promise<TestFleet> {
  let redis = opts.redis;
  if (redis === undefined) {
    const started = await startRedis();
    h.defer(() => started.close());
    redis = started;
  }
  const prefix = opts.prefix ?? uniquePrefix();
  const yamlOf = (name: string): string => opts.config(specFor(name, redis, prefix));
  const nodes: FleetNode[] = [];
  for (const name of opts.names) nodes.push(wrap(name, await launch(h, yamlOf(name))));
  const node = (name: string): FleetNode => {
    const n = nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no fleet node named ${name}`);
    return n;
  };
  return {
    redis,
    prefix,
    nodes,
    node,
    async kill(name) {
      const n = node(name);
      n.proc.signal('SIGKILL');
      await n.proc.waitExit(20_000);
    },
    async restart(name) {
      const fresh = wrap(name, await launch(h, yamlOf(name)));
      nodes[nodes.indexOf(node(name))] = fresh;
      return fresh;
    },
    status: (name) => fleetStatusAt(node(name).adminUrl),
  };
}

/** GET /status's `fleet` object from the admin listener at `adminUrl`. */
export async function fleetStatusAt<T = Record<string, unknown>>(adminUrl: string): Promise<T> {
  const res = await fetch(`${adminUrl}/status`);
  return ((await res.json()) as { fleet: T }).fleet;
}

/** Polls fleetStatusAt(adminUrl) until `cond` holds of it (`timeoutMs`: a hang guard, not a timing assertion). */
export async function waitFleetStatus<T>(adminUrl: string, cond: (f: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await fleetStatusAt<T>(adminUrl);
    if (cond(f)) return f;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(f)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
