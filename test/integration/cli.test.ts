/**
 * @module test/integration/cli.test
 * The real `bulwark` command (dist/cli/main.js as a child process): `validate` prints one
 * `file:line:col: path: rule` line per problem and exits 1, or exits 0 on a valid file;
 * `start` on an invalid file or an unbindable address exits 1 with the error on stderr and
 * never reports listening; usage errors exit 2; --help and --version exit 0, and each
 * command has its own help (`start --help`, `bulwark help validate`).
 * Every command is started in beforeAll (they are independent processes, a few at a
 * time); each test then checks its own result.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js';

const INVALID = readdirSync(join(REPO_ROOT, 'conf', 'invalid')).filter((f) => f.endsWith('.yaml'));

/** The "# expect: ..." line at the top of each conf/invalid file. */
function expected(file: string): string {
  const m = /^# expect: (.+)$/m.exec(readFileSync(join(REPO_ROOT, 'conf', 'invalid', file), 'utf8'));
  return m![1]!.trim();
}

const ISSUE_LINE = /^(\S+?):(\d+):(\d+): (.+)$/;

/** A config with one upstream, `listen`/`admin` as given, and `web` extra lines. */
function conf(listen: string, admin: string, webExtra = ''): string {
  return [`listen: ${listen}`, `admin: { listen: ${admin} }`, 'upstreams:', '  web:', webExtra, '    servers:', '      - url: http://127.0.0.1:1', 'routes:', '  - upstream: web', ''].join('\n');
}

/**
 * At most this many commands run at once: ~30 Node processes started together on a busy
 * 2-core machine took over 10 s each to start, so each one's time bound covers only itself.
 */
const AT_ONCE = 4;
const slots: Array<() => void> = [];
let running = 0;
async function limited<T>(job: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((r) => slots.push(r));
  running++;
  try {
    return await job();
  } finally {
    running--;
    slots.shift()?.();
  }
}

describe('bulwark CLI', () => {
  let dir: string;
  let blocker: net.Server;
  let takenPort: number;
  const runs = new Map<string, Promise<CliResult>>();
  /** The result of `bulwark ...args`, started once (beforeAll starts them all together). */
  const cli = (...args: string[]): Promise<CliResult> => {
    const key = JSON.stringify(args);
    let run = runs.get(key);
    if (run === undefined) {
      run = limited(() => runCli(args, 30_000));
      run.catch(() => {}); // awaited by its test; this only avoids an unhandled rejection meanwhile
      runs.set(key, run);
    }
    return run;
  };
  const file = (name: string): string => join(dir, name);

  beforeAll(async () => {
    assertBuilt();
    dir = await mkdtemp(join(tmpdir(), 'bulwark-cli-'));
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    takenPort = (blocker.address() as AddressInfo).port;
    await writeFile(
      file('many-errors.yaml'),
      ['upstreams:', '  web:', '    timeouts: { connect: 2 }', '    servers:', '      - url: ftp://x', 'routes:', '  - upstream: wbe', ''].join('\n'),
    );
    await writeFile(file('invalid-start.yaml'), conf('127.0.0.1:0', '127.0.0.1:0', '    timeouts: { connect: 2 }'));
    await writeFile(file('listen-taken.yaml'), conf(`127.0.0.1:${takenPort}`, '127.0.0.1:0'));
    await writeFile(file('admin-taken.yaml'), conf('127.0.0.1:0', `127.0.0.1:${takenPort}`));
    for (const f of INVALID) void cli('validate', '-c', `conf/invalid/${f}`);
    for (const args of [
      ['validate', '-c', 'conf/bulwark.yaml'],
      ['validate', '-c', 'conf/demo.yaml'],
      ['validate', '-c', 'conf/does-not-exist.yaml'],
      ['validate', '-c', file('many-errors.yaml')],
      ['start', '-c', file('invalid-start.yaml')],
      ['start', '-c', file('listen-taken.yaml')],
      ['start', '-c', file('admin-taken.yaml')],
      ['frobnicate'],
      ['validate', '--frob'],
      [],
      ['--help'],
      ['-h'],
      ['help'],
      ['--version'],
      ['start', '--help'],
      ['help', 'start'],
      ['validate', '-h'],
      ['help', 'validate'],
      ['help', 'frob'],
      ['start', 'extra'],
    ]) {
      void cli(...args);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(runs.values());
    await new Promise<void>((r) => blocker.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('has invalid example configs to check', () => {
    expect(INVALID.length).toBeGreaterThan(0);
  });

  it.each(INVALID)('validate conf/invalid/%s exits 1 with positioned errors', async (name) => {
    const path = `conf/invalid/${name}`;
    const r = await cli('validate', '-c', path);
    expect(r.code).toBe(1);
    const issues = r.stderr.split('\n').filter((l) => ISSUE_LINE.test(l));
    expect(issues.length).toBeGreaterThan(0);
    for (const line of issues) {
      const [, f, lineNo, col] = ISSUE_LINE.exec(line)!;
      expect(f).toBe(path);
      expect(Number(lineNo)).toBeGreaterThan(0);
      expect(Number(col)).toBeGreaterThan(0);
    }
    expect(r.stderr).toContain(expected(name));
  });

  it('validate reports "file:line:col: path: rule" for a keyed error', async () => {
    const r = await cli('validate', '-c', 'conf/invalid/unknown-key.yaml');
    expect(r.stderr).toMatch(/^conf\/invalid\/unknown-key\.yaml:5:5: upstreams\.web\.schedular: unknown key "schedular"/m);
  });

  it('validate reports every problem of a file at once', async () => {
    const path = file('many-errors.yaml');
    const r = await cli('validate', '-c', path);
    expect(r.code).toBe(1);
    const issues = r.stderr.split('\n').filter((l) => l.startsWith(`${path}:`) && ISSUE_LINE.test(l));
    expect(issues.length).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/timeouts\.connect/);
    expect(r.stderr).toMatch(/servers\[0\]\.url/);
    expect(r.stderr).toMatch(/routes\[0\]\.upstream/);
  });

  it.each(['conf/bulwark.yaml', 'conf/demo.yaml'])('validate %s exits 0', async (path) => {
    const r = await cli('validate', '-c', path);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('validate of a missing file exits 1', async () => {
    const r = await cli('validate', '-c', 'conf/does-not-exist.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does-not-exist.yaml');
  });

  it('start with an invalid file exits 1 with the error on stderr and binds nothing', async () => {
    const r = await cli('start', '-c', file('invalid-start.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bulwark: 1 config error \[BLWK_CONFIG_INVALID\]:$/m);
    expect(r.stderr).toMatch(/upstreams\.web\.timeouts\.connect: must be a duration/);
    expect(r.stdout).not.toMatch(/"event":"started"|listening/);
  });

  it('start exits 1 when its listen address is taken', async () => {
    const r = await cli('start', '-c', file('listen-taken.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${takenPort}: EADDRINUSE \\[BLWK_LISTEN\\]`));
    expect(r.stdout).not.toMatch(/"event":"started"/);
  });

  it('start exits 1 (and does not hang) when the admin address is taken after the proxy bound', async () => {
    const r = await cli('start', '-c', file('admin-taken.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE/);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('exits 2 on an unknown option', async () => {
    expect((await cli('validate', '--frob')).code).toBe(2);
  });

  it('exits 2 without a command', async () => {
    expect((await cli()).code).toBe(2);
  });

  it.each([['--help'], ['-h'], ['help']])('%s prints usage and exits 0', async (arg) => {
    const r = await cli(arg);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: bulwark/);
  });

  it.each([
    ['start', '--help'],
    ['help', 'start'],
    ['validate', '-h'],
    ['help', 'validate'],
  ])("%s %s prints that command's own help: synopsis, flags, the variables it reads, an example", async (first, second) => {
    const command = first === 'help' ? second : first;
    const r = await cli(first, second);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: bulwark ${command} \\[-c FILE\\]\n`));
    expect(r.stdout).toMatch(/-c, --config FILE .*\(default: conf\/bulwark\.yaml\)/);
    expect(r.stdout).toContain(`Example:\n  bulwark ${command} -c conf/bulwark.yaml\n`);
    expect(r.stdout).not.toContain('Commands:');
    if (command === 'start') {
      expect(r.stdout).toContain('SIGHUP reloads FILE');
      expect(r.stdout).toMatch(/Environment:\n {2}\$admin\.token_env [\s\S]*\n {2}\$backup\.encrypt_key_env /);
    } else {
      expect(r.stdout).toContain('file:line:col: key.path: rule');
      expect(r.stdout).toContain('Environment:\n  none\n');
    }
  });

  it('help for an unknown command exits 2; a usage error shows the command\'s own help', async () => {
    const unknown = await cli('help', 'frob');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no help for "frob": no such command');
    const extra = await cli('start', 'extra');
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/unexpected argument "extra"\n\nUsage: bulwark start/);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await cli('--version');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`bulwark ${pkg.version}`);
  });
});
