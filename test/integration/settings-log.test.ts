/**
 * @module test/integration/settings-log.test
 * `log.level` decides which lines are written, at start and after a reload. One scenario
 * logs at four levels: health checks (debug), a server disabled (warn) and enabled again
 * (info) through the admin API, and a rejected reload (error); each level then must show
 * exactly the lines at or above it. bulwark logs nothing at trace or fatal, so `trace`
 * shows what `debug` shows and `fatal` what `silent` shows. Access lines are off here
 * (`log.access` has its own test in access-log.test.ts).
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TestBulwark } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
/** What the scenario logs: a level number for each kind of line. */
const SCENARIO_LEVELS = [LEVELS.debug, LEVELS.info, LEVELS.warn, LEVELS.error];

function config(level: string, originUrl: string): string {
  return [
    'listen: 127.0.0.1:0',
    'admin: { listen: 127.0.0.1:0 }',
    `log: { level: ${level}, access: false }`,
    'upstreams:',
    '  web:',
    '    health_check: { interval: 200ms, timeout: 200ms, fast_interval: 100ms, jitter: 0% }',
    '    servers:',
    `      - { url: "${originUrl}" }`,
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n');
}

async function adminPost(bw: TestBulwark, path: string): Promise<number> {
  return (await send(bw.adminUrl, { method: 'POST', path })).status;
}

describe('log.level', () => {
  const h = useHarness();

  /** Runs the scenario on a bulwark started at `level`; returns the level numbers logged. */
  async function scenario(level: string): Promise<Set<number>> {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await h.bulwark(config(level, origin.url));
    // Two checks at the origin: the first one's result (a debug line) has been logged.
    await waitFor(() => origin.requests.length >= 2, 5000, 'two health checks');
    expect(await adminPost(bw, '/servers/web/web-1/disable')).toBe(200); // warn: server_flag_set
    expect(await adminPost(bw, '/servers/web/web-1/enable')).toBe(200); // info: server_flag_cleared
    await writeFile(bw.configFile, 'upstreams: [\n');
    expect(await adminPost(bw, '/reload')).toBe(400); // error: config_rejected
    return new Set(bw.logs.map((l) => Number(l['level'])));
  }

  it.each([
    ['trace', LEVELS.debug],
    ['debug', LEVELS.debug],
    ['info', LEVELS.info],
    ['warn', LEVELS.warn],
    ['error', LEVELS.error],
    ['fatal', Infinity],
    ['silent', Infinity],
  ])('level: %s writes exactly the lines at or above it', async (level, least) => {
    const seen = await scenario(level);
    expect([...seen].sort((a, b) => a - b)).toEqual(SCENARIO_LEVELS.filter((l) => l >= least));
  });

  it('a reload from info to warn applies at once: no info line after it, warnings still written', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await h.bulwark(config('info', origin.url).replace(/^ *health_check.*\n/m, ''));
    expect(bw.logs.some((l) => l['level'] === LEVELS.info)).toBe(true); // "started"
    await writeFile(bw.configFile, config('warn', origin.url).replace(/^ *health_check.*\n/m, ''));
    expect(await adminPost(bw, '/reload')).toBe(200);
    await waitFor(() => bw.app.status.version === 2, 3000, 'the reload');
    const from = bw.logs.length;
    expect(await adminPost(bw, '/servers/web/web-1/disable')).toBe(200);
    expect(await adminPost(bw, '/servers/web/web-1/enable')).toBe(200);
    const after = bw.logs.slice(from);
    expect(after.map((l) => [l['level'], l['event']])).toEqual([[LEVELS.warn, 'server_flag_set']]);
  });
});
