/**
 * @module test/unit/deploy/dockerfile.test
 * The Dockerfile without docker (not installed where the suite runs): every path it copies
 * is in the repository and in the build context .dockerignore lets through, every npm
 * script it runs exists, the image runs as a non-root user what the build produces, and
 * its HEALTHCHECK command, run for real, passes against a running bulwark and fails
 * without one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_LISTEN, DEFAULT_LISTEN } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { useHarness } from '../../helpers/harness.js';
import { withTimeout } from '../../helpers/net.js';

const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> };

/** Instructions as [KEYWORD, arguments], continuation lines joined, comments dropped. */
const instructions = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => [l.slice(0, l.indexOf(' ')).toUpperCase(), l.slice(l.indexOf(' ') + 1).trim()] as const);
const all = (keyword: string): string[] => instructions.filter(([k]) => k === keyword).map(([, args]) => args);
/** The final stage: what the image runs. */
const runtime = instructions.slice(instructions.findLastIndex(([k]) => k === 'FROM'));
const final = (keyword: string): string | undefined => runtime.findLast(([k]) => k === keyword)?.[1];

/** Whether .dockerignore lets top-level `path` into the build context (last matching pattern wins). */
function inContext(path: string): boolean {
  let included = true;
  for (const line of read('.dockerignore').split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = line.replace(/^!/, '').replace(/\/$/, '');
    if (pattern === '*' || pattern === path) included = negated;
  }
  return included;
}

describe('Dockerfile', () => {
  const h = useHarness();

  it('builds in one node:20-slim stage and runs in another, on the Node version package.json asks for', () => {
    const stages = all('FROM');
    expect(stages).toEqual(['node:20-slim AS build', 'node:20-slim']);
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it('copies only files the repository has and .dockerignore lets through, and runs only scripts package.json has', () => {
    const sources = all('COPY')
      .filter((args) => !args.startsWith('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'conf']));
    for (const source of sources) expect({ source, exists: existsSync(join(REPO_ROOT, source)), inContext: inContext(source) }).toEqual({ source, exists: true, inContext: true });
    for (const excluded of ['node_modules', 'dist', '.git', 'test']) expect({ excluded, inContext: inContext(excluded) }).toEqual({ excluded, inContext: false });
    const scripts = all('RUN').flatMap((cmd) => [...cmd.matchAll(/npm run (\S+)/g)].map((m) => m[1]!));
    expect(scripts).toEqual(['build']);
    for (const s of scripts) expect(pkg.scripts[s]).toBeDefined();
  });

  it('runs dist/cli/main.js, built from src/cli/main.ts, as the non-root user node, with production dependencies only', () => {
    expect(final('USER')).toBe('node');
    expect(runtime.findIndex(([k]) => k === 'USER')).toBeLessThan(runtime.findIndex(([k]) => k === 'ENTRYPOINT'));
    expect(JSON.parse(final('ENTRYPOINT')!)).toEqual(['node', '/app/dist/cli/main.js']);
    expect(existsSync(join(REPO_ROOT, 'src', 'cli', 'main.ts'))).toBe(true);
    expect(JSON.parse(read('tsconfig.build.json'))).toMatchObject({ compilerOptions: { rootDir: 'src', outDir: 'dist' } });
    expect(runtime.filter(([k]) => k === 'COPY').map(([, a]) => a)).toContain('--from=build /app/dist ./dist');
    expect(runtime.some(([k, a]) => k === 'RUN' && a.includes('npm ci --omit=dev'))).toBe(true);
    expect(JSON.parse(final('CMD')!)).toEqual(['start', '-c', '/etc/bulwark/bulwark.yaml']);
  });

  it('exposes the default proxy port and stops with SIGTERM', () => {
    expect(final('EXPOSE')).toBe(String(DEFAULT_LISTEN.port));
    expect(final('STOPSIGNAL')).toBe('SIGTERM');
    expect(final('ENV')).toContain(`BULWARK_ADMIN_URL=http://${DEFAULT_ADMIN_LISTEN.host}:${DEFAULT_ADMIN_LISTEN.port}`);
  });

  it("its HEALTHCHECK command passes against bulwark's admin API and fails when nothing answers", async () => {
    const command = JSON.parse(/CMD (\[.*\])$/.exec(final('HEALTHCHECK') ?? '')![1]!) as string[];
    expect(command[0]).toBe('node');
    const check = async (adminUrl: string): Promise<number | null> => {
      const child = spawn(process.execPath, command.slice(1), { env: { ...process.env, BULWARK_ADMIN_URL: adminUrl }, stdio: 'ignore' });
      h.defer(() => void child.kill('SIGKILL'));
      return withTimeout(new Promise<number | null>((r) => child.once('exit', r)), 15_000, 'the health check to exit');
    };
    const { bw } = await h.proxied();
    expect(await check(bw.adminUrl)).toBe(0);
    const closed = await h.origin();
    await closed.close();
    expect(await check(closed.url)).toBe(1);
  });
});
