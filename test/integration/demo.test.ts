/**
 * @module test/integration/demo.test
 * `npm run demo` as a person uses it (dist/cli/demo.js, a real child process): its origins
 * are processes of their own, a key or the printed `kill PID` stops one, the demo prints
 * the server's state changing, and the traffic goes on through the others. Nothing it
 * started outlives it, not even when it is killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT, type Exit } from '../helpers/cli.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send, waitFor, withTimeout } from '../helpers/net.js';

const DEMO = join(REPO_ROOT, 'dist', 'cli', 'demo.js');
/** A bound for waits on the demo (health checks under a loaded machine), never a timing assertion. */
const WAIT = 20_000;

/** A free port on 127.0.0.1: the demo's origins listen where the config's servers are. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Whether `pid` is a live process (a zombie left for init to reap counts as gone). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) return existsSync(stat) && !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of demo origin processes listening on `port` (Linux: from /proc; [] elsewhere). */
function originsOn(port: number): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (cmd.some((a) => a.endsWith(join('demo', 'origin.js'))) && cmd.includes(String(port)) && alive(Number(pid))) found.push(Number(pid));
  }
  return found;
}

interface RunningDemo {
  readonly out: () => string;
  readonly exited: Promise<Exit>;
  /** Waits for the output to match `re`; returns the match. */
  waitFor(re: RegExp, what: string): Promise<RegExpMatchArray>;
  type(line: string): void;
  signal(sig: NodeJS.Signals): void;
  /** Every origin pid the demo has printed. */
  pids(): number[];
}

/** A demo config (and a log path beside it) in a temp dir: one server per [name, port]. */
async function demoFiles(h: Harness, servers: ReadonlyArray<readonly [string, number]>): Promise<{ config: string; log: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-demo-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'demo.yaml');
  await writeFile(
    config,
    ['listen: 127.0.0.1:0', 'admin: { listen: 127.0.0.1:0 }', 'log: { level: info, access: false }', 'upstreams:', '  demo:',
      '    health_check: { path: /healthz, interval: 1s, timeout: 500ms, fast_interval: 250ms, rise: 2, fall: 2 }',
      '    retries: { attempts: 2 }', '    servers:', ...servers.map(([n, port]) => `      - { url: "http://127.0.0.1:${port}", name: ${n} }`),
      'routes:', '  - upstream: demo', ''].join('\n'),
  );
  return { config, log: join(dir, 'bulwark.log') };
}

/** Runs `node dist/cli/demo.js ARGS` (killed after the test, with every origin it printed). */
function spawnDemo(h: Harness, args: readonly string[]): RunningDemo {
  assertBuilt();
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const pids = (): number[] => [...new Set([...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])))];
  h.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    for (const pid of pids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    out: () => out,
    exited,
    async waitFor(re, what) {
      await waitFor(() => re.test(out) || done, WAIT, what);
      const m = out.match(re);
      if (m === null) throw new Error(`the demo exited without printing ${what}:\n${out}`);
      return m;
    },
    type: (line) => void child.stdin.write(`${line}\n`),
    signal: (sig) => void child.kill(sig),
    pids,
  };
}

/** The demo on servers `names` (each on a free port) with `args`, once its banner is out. */
async function startDemo(h: Harness, names: readonly string[], args: readonly string[]): Promise<RunningDemo & { proxy: string; log: string }> {
  const { config, log } = await demoFiles(h, await Promise.all(names.map(async (n) => [n, await freePort()] as const)));
  const demo = spawnDemo(h, ['-c', config, '--log', log, ...args]);
  const proxy = (await demo.waitFor(/\n {2}proxy +(http:\S+)/, 'its banner'))[1]!;
  await demo.waitFor(/\nHere: k N kills origin N/, 'the keys');
  return { ...demo, proxy, log };
}

/** Who answered each of `n` requests (every one must be a 200). */
async function answers(url: string, n: number): Promise<string[]> {
  const who: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await send(url);
    expect(r.status, r.text).toBe(200);
    who.push(String(r.headers['x-origin']));
  }
  return who;
}

describe('npm run demo', () => {
  const h = useHarness();

  it('k N kills an origin: the demo prints it marked down, traffic goes on, r N brings it back, q stops everything', async () => {
    const demo = await startDemo(h, ['t1', 't2', 't3'], ['--flaky', 'none']);
    expect(demo.out()).toMatch(/\n {2}curl http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(new Set(await answers(demo.proxy, 6))).toEqual(new Set(['t1', 't2', 't3']));

    demo.type('k 1');
    await demo.waitFor(/origin t1 \(pid \d+\) killed: r 1 restarts it/, 'the kill');
    await demo.waitFor(/t1 marked failed_health_check: 2 consecutive check failures: connect ECONNREFUSED/, 't1 marked down');
    await demo.waitFor(/now: t1 DOWN \(failed_health_check\) \| t2 up \| t3 up/, 'the table with t1 down');
    expect(new Set(await answers(demo.proxy, 10))).toEqual(new Set(['t2', 't3']));

    demo.type('r 1');
    await demo.waitFor(/origin t1 started \(pid \d+\) on 127\.0\.0\.1:\d+/, 'the restart');
    await demo.waitFor(/t1 cleared failed_health_check: 2 consecutive checks passed/, 't1 back');
    await demo.waitFor(/now: t1 up \| t2 up \| t3 up/, 'the table with every server up');
    expect(await answers(demo.proxy, 6)).toContain('t1');

    demo.type('q');
    expect(await withTimeout(demo.exited, WAIT, 'the demo to exit')).toEqual({ code: 0, signal: null });
    expect(demo.pids().length).toBe(4);
    await waitFor(() => demo.pids().every((p) => !alive(p)), WAIT, 'every origin to exit');
    const log = readFileSync(demo.log, 'utf8');
    expect(log).toContain('"event":"server_flag_set"');
    expect(log).not.toContain('"msg":"access"');
  });

  it("prints the README's banner; the printed kill command stops an origin; killed with SIGKILL, it leaves no origin behind", async () => {
    const demo = await startDemo(h, ['demo-1', 'demo-2', 'demo-3', 'demo-4'], []);
    // The README's demo section shows this banner: the same lines, but for pids, ports and paths.
    const readme = /\n```\n(bulwark demo: [^]*?\nHere: [^\n]*\n)/.exec(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    const banner = /^(bulwark demo: [^]*?\nHere: [^\n]*\n)/.exec(demo.out());
    const same = (text: string): string =>
      text.replace(/pid \d+/g, 'pid N').replace(/kill \d+/, 'kill N').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:P').replace(/\(\S*demo\.yaml\)/, '(FILE)').replace(/(\n {2}log +)\S+/, '$1FILE');
    expect(readme).not.toBeNull();
    expect(same(banner![1]!)).toBe(same(readme![1]!));

    const pid = Number((await demo.waitFor(/\n {2}kill (\d+) +# stops demo-2/, 'the kill command'))[1]);
    process.kill(pid, 'SIGTERM');
    await demo.waitFor(new RegExp(`origin demo-2 \\(pid ${pid}\\) exited \\(SIGTERM\\): r 2 restarts it`), 'the exit');
    await demo.waitFor(/now: demo-1 up \| demo-2 DOWN \(failed_health_check\) \| demo-3 up/, 'demo-2 marked down');
    expect(await answers(demo.proxy, 6)).not.toContain('demo-2');

    demo.signal('SIGKILL');
    await withTimeout(demo.exited, WAIT, 'the demo to exit');
    await waitFor(() => demo.pids().every((p) => !alive(p)), WAIT, 'the origins to exit with the demo');
  });

  it('a flaky origin answers 503 for the last DOWN ms of every CYCLE ms, its health path too, and exits with the demo', async () => {
    const origin = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'runtime', 'demo', 'origin.js'), 'f1', '127.0.0.1', '0', '150', '300'], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // 'exit', not 'close': with the IPC channel closed by this side, 'close' may never come.
    const exited = new Promise<Exit>((resolve) => origin.once('exit', (code, signal) => resolve({ code, signal })));
    h.defer(async () => {
      if (origin.exitCode === null && origin.signalCode === null) origin.kill('SIGKILL');
      await exited;
    });
    const listening = await withTimeout(new Promise<{ type: string; port: number }>((r) => origin.once('message', r)), WAIT, 'the origin to listen');
    expect(listening.type).toBe('listening');
    const seen = new Set<number>();
    while (seen.size < 2) {
      const r = await send(`http://127.0.0.1:${listening.port}`, { path: '/healthz' });
      expect(r.headers['x-origin']).toBe('f1');
      seen.add(r.status);
    }
    expect([...seen].sort()).toEqual([200, 503]);
    origin.disconnect();
    expect(await withTimeout(exited, WAIT, 'the origin to exit')).toEqual({ code: 0, signal: null });
  });

  it('refuses a busy port and an unknown --flaky name, naming them, and leaves no origin behind', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    h.defer(() => new Promise((r) => busy.close(r)));
    const port = (busy.address() as AddressInfo).port;
    const free = await freePort();
    const { config, log } = await demoFiles(h, [['b1', free], ['b2', port]]);

    const inUse = spawnDemo(h, ['-c', config, '--log', log]);
    expect(await withTimeout(inUse.exited, WAIT, 'the demo to exit')).toEqual({ code: 1, signal: null });
    expect(inUse.out()).toBe(`bulwark demo: demo origin b2 cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
    await waitFor(() => originsOn(free).length === 0, WAIT, 'b1 to exit');

    const unknown = spawnDemo(h, ['-c', config, '--log', log, '--flaky', 'b3']);
    expect(await withTimeout(unknown.exited, WAIT, 'the demo to exit')).toEqual({ code: 1, signal: null });
    expect(unknown.out()).toBe('bulwark demo: --flaky b3: no server of that name; the servers: b1, b2\n');
  });
});
