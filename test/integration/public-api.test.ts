/**
 * @module test/integration/public-api.test
 * The package as a user gets it: a project whose node_modules/bulwark is this repository
 * imports `bulwark` by name (package.json `exports`, dist/index.js), starts it from a
 * config object with a scheduler of its own, proxies requests, reloads, validates and
 * stops; then from a config file. A TypeScript user's file type-checks against the
 * published types (dist/index.d.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';

const run = promisify(execFile);

const USER_SCRIPT = `
import { start, validate, ConfigError } from 'bulwark';
import { writeFileSync } from 'node:fs';
const [a, b, dir] = process.argv.slice(2);
// A scheduler of the user's own: always the last available server.
const schedulers = { last: () => ({ name: 'last', pick: (servers) => servers[servers.length - 1] }) };
const config = (servers) => ({
  listen: '127.0.0.1:0',
  admin: { listen: '127.0.0.1:0' },
  log: { level: 'silent', access: false },
  upstreams: { web: { scheduler: 'last', servers } },
  routes: [{ upstream: 'web' }],
});
const both = config([{ name: 'a', url: a }, { name: 'b', url: b }]);
const out = {};
out.valid = await validate(both, { schedulers });
out.unknownScheduler = await validate(both);
try {
  await start({ config: config([{ name: 'a', url: 'ftp://x' }]), schedulers });
} catch (err) {
  out.startError = { isConfigError: err instanceof ConfigError, code: err.code, message: err.message };
}
const lb = await start({ config: both, schedulers });
const get = async () => (await fetch('http://127.0.0.1:' + lb.addresses[0].port + '/')).text();
out.first = [await get(), await get()];
out.reload = await lb.reload(config([{ name: 'a', url: a }]));
out.afterReload = await get();
out.badReload = await lb.reload(config([]));
out.stopped = await lb.stop(1000);

const file = dir + '/bulwark.yaml';
writeFileSync(file, 'listen: 127.0.0.1:0\\nadmin: { listen: 127.0.0.1:0 }\\nlog: { level: silent, access: false }\\nupstreams:\\n  web:\\n    servers:\\n      - { url: "' + b + '" }\\nroutes:\\n  - upstream: web\\n');
const fromFile = await start({ config: file, watch: false });
out.fromFile = await (await fetch('http://127.0.0.1:' + fromFile.addresses[0].port + '/')).text();
out.fromFileStopped = await fromFile.stop(1000);
console.log(JSON.stringify(out));
`;

const USER_TS = `
import { start, type Bulwark, type Scheduler, type SchedulerFactory, type Server } from 'bulwark';
class First implements Scheduler {
  readonly name = 'first';
  pick(servers: readonly Server[]): Server | undefined {
    return servers[0];
  }
}
const schedulers: Record<string, SchedulerFactory> = { first: () => new First() };
export const lb: Promise<Bulwark> = start({ config: { listen: '127.0.0.1:0' }, schedulers });
`;

describe('the public API, imported by package name', () => {
  const h = useHarness();

  async function userProject(): Promise<string> {
    assertBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-user-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'node_modules'));
    await symlink(REPO_ROOT, join(dir, 'node_modules', 'bulwark'), 'dir');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', type: 'module', private: true }));
    return dir;
  }

  it('starts from a config object with a custom scheduler, proxies, reloads, validates and stops; then from a file', async () => {
    const [a, b] = await h.namedOrigins(['a', 'b']);
    const dir = await userProject();
    await writeFile(join(dir, 'app.mjs'), USER_SCRIPT);
    const { stdout } = await run(process.execPath, ['app.mjs', a!.url, b!.url, dir], { cwd: dir, timeout: 60_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out['valid']).toEqual([]);
    expect(out['unknownScheduler']).toEqual([expect.stringMatching(/^<config object>:\d+:\d+: upstreams\.web\.scheduler: must be one of: round-robin, .*consistent-hash/)]);
    expect(out['startError']).toMatchObject({ isConfigError: true, code: 'BLWK_CONFIG_INVALID', message: expect.stringMatching(/upstreams\.web\.servers\[0\]\.url/) });
    expect(out['first']).toEqual(['b', 'b']); // the custom scheduler picked the last server
    expect(out['reload']).toMatchObject({ result: 'applied', version: 2, changes: ['upstream web: b removed'] });
    expect(out['afterReload']).toBe('a');
    expect(out['badReload']).toMatchObject({ result: 'rejected', version: 2, errors: [expect.stringMatching(/servers/)] });
    expect(out['stopped']).toBe(true);
    expect(out['fromFile']).toBe('b');
    expect(out['fromFileStopped']).toBe(true);
  });

  it("type-checks a TypeScript user's code against the published types", async () => {
    const dir = await userProject();
    await writeFile(join(dir, 'app.ts'), USER_TS);
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'app.ts'];
    const r = await run(process.execPath, [tsc, ...args], { cwd: dir, timeout: 60_000 }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(r.stdout).toBe('');
    expect('failed' in r).toBe(false);
  });
});
