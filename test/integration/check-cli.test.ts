/**
 * @module test/integration/check-cli.test
 * `bulwark check` (the built CLI, a child process) against a running bulwark with real
 * origins: OK exit 0 with every server up; WARNING then CRITICAL as servers are drained and
 * disabled through the admin API, and as origins die and fail their health checks; UNKNOWN
 * exit 3 for a closed admin port, a wrong or missing token, a silent admin listener and an
 * upstream that does not exist; and --format json for Zabbix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tempConfig } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { refusingPort } from '../helpers/origin.js';
import { adminPost, entries, holdOrigins, startApp, waitStatus, webConfig } from '../helpers/reload.js';

const VAR = 'BULWARK_CHECK_TEST_TOKEN';
const WRONG_VAR = 'BULWARK_CHECK_TEST_WRONG_TOKEN';
const TOKEN = 'check-test-token';

describe('bulwark check (Nagios plugin)', () => {
  const h = useHarness();

  beforeAll(() => {
    assertBuilt();
    // The CLI child inherits this process's environment: the token it sends comes from there.
    process.env[VAR] = TOKEN;
    process.env[WRONG_VAR] = 'not-the-token';
  });
  afterAll(() => {
    delete process.env[VAR];
    delete process.env[WRONG_VAR];
  });

  /** bulwark in front of origins a, b, c, its admin API behind the token. */
  async function running(): Promise<{ file: string; adminUrl: string }> {
    const origins = await holdOrigins(h, ['a', 'b', 'c']);
    const bw = await startApp(h, webConfig(entries(origins), { admin: `listen: 127.0.0.1:0, token_env: ${VAR}` }), { watch: false, env: { [VAR]: TOKEN } });
    return { file: bw.configFile, adminUrl: bw.adminUrl };
  }

  it('OK with every server up, WARNING with one drained, CRITICAL with none left (exit 0, 1, 2)', async () => {
    const { file, adminUrl } = await running();
    const check = (...args: string[]) => runCli(['check', '-c', file, '--admin', adminUrl, ...args], 30_000);
    const auth = { authorization: `Bearer ${TOKEN}` };

    let r = await check();
    expect(r.stdout).toBe("BULWARK OK - web: 3/3 servers available | 'web_available'=3;2;0;0;3\n");
    expect(r.code).toBe(0);

    expect((await adminPost(adminUrl, '/servers/web/b/drain', undefined, auth)).status).toBe(200);
    r = await check();
    expect(r.stdout).toBe("BULWARK WARNING - web: 2/3 servers available (b: draining) | 'web_available'=2;2;0;0;3\n");
    expect(r.code).toBe(1);
    // With --warn 1 two servers are still fine; --crit 2 makes them critical.
    expect((await check('--upstream', 'web', '--warn', '1')).code).toBe(0);
    r = await check('--warn', '2', '--crit', '2');
    expect(r.stdout).toMatch(/^BULWARK CRITICAL - web: 2\/3 servers available/);
    expect(r.code).toBe(2);

    for (const s of ['a', 'c']) expect((await adminPost(adminUrl, `/servers/web/${s}/disable`, undefined, auth)).status).toBe(200);
    r = await check();
    expect(r.stdout).toBe("BULWARK CRITICAL - web: 0/3 servers available (a: disabled; b: draining; c: disabled) | 'web_available'=0;2;0;0;3\n");
    expect(r.code).toBe(2);

    r = await check('--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      status: 'CRITICAL',
      exit: 2,
      message: 'web: 0/3 servers available (a: disabled; b: draining; c: disabled)',
      web_available: 0,
      web_total: 3,
      web_status: 'CRITICAL',
    });
  });

  it('WARNING when an origin dies and its health checks fail, CRITICAL when the last one does', async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    // A 1 s check timeout keeps the live origins up on a loaded machine; a closed port fails at once.
    const checks = '    health_check: { path: /healthz, interval: 1s, timeout: 1s, fast_interval: 50ms, fall: 2, rise: 2, jitter: 0% }';
    const bw = await startApp(h, webConfig(entries(origins), { upstream: [checks] }), { watch: false });
    const check = () => runCli(['check', '-c', bw.configFile, '--admin', bw.adminUrl], 30_000);
    const down = (name: string) =>
      waitStatus(bw.adminUrl, (d) => d.upstreams[0]!.servers.some((s) => s.name === name && s.flags.includes('failed_health_check')), `${name} failed_health_check`, 30_000);

    expect((await check()).code).toBe(0);
    await origins[1]!.close();
    await down('b');
    let r = await check();
    expect(r.stdout).toBe("BULWARK WARNING - web: 1/2 servers available (b: failed_health_check) | 'web_available'=1;1;0;0;2\n");
    expect(r.code).toBe(1);
    await origins[0]!.close();
    await down('a');
    r = await check();
    expect(r.stdout).toMatch(/^BULWARK CRITICAL - web: 0\/2 servers available \(a: failed_health_check; b: failed_health_check\)/);
    expect(r.code).toBe(2);
  });

  it('UNKNOWN (exit 3) for an upstream that does not exist, a wrong or missing token, and bad usage', async () => {
    const { file, adminUrl } = await running();
    let r = await runCli(['check', '-c', file, '--admin', adminUrl, '--upstream', 'api'], 30_000);
    expect(r.stdout).toBe('BULWARK UNKNOWN - no upstream "api" (upstreams: web)\n');
    expect(r.code).toBe(3);

    // The same server, through a config file whose admin.token_env holds another value, or names none.
    const wrong = await tempConfig(h, webConfig([{ name: 'a', url: 'http://127.0.0.1:1' }], { admin: `listen: 127.0.0.1:0, token_env: ${WRONG_VAR}` }));
    r = await runCli(['check', '-c', wrong, '--admin', adminUrl], 30_000);
    expect(r.stdout).toBe(`BULWARK UNKNOWN - the admin API at ${adminUrl} refused the request (401): a missing or wrong token; the token is from $${WRONG_VAR}\n`);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('not-the-token');
    const none = await tempConfig(h, webConfig([{ name: 'a', url: 'http://127.0.0.1:1' }]));
    r = await runCli(['check', '-c', none, '--admin', adminUrl], 30_000);
    expect(r.stdout).toMatch(/refused the request \(401\): a missing or wrong token; FILE names no admin\.token_env, so none was sent\n$/);
    expect(r.code).toBe(3);

    r = await runCli(['check', '-c', file, '--admin', adminUrl, '--warn', '1', '--crit', '2'], 30_000);
    expect(r.stdout).toBe('BULWARK UNKNOWN - bad usage: --crit 2 is above --warn 1: CRITICAL must take fewer servers than WARNING (bulwark check --help)\n');
    expect(r.code).toBe(3);
  });

  it('UNKNOWN (exit 3) when the admin API cannot be reached or stays silent past --timeout, in both formats', async () => {
    const { file } = await running();
    const closed = `http://127.0.0.1:${await refusingPort()}`;
    let r = await runCli(['check', '-c', file, '--admin', closed], 30_000);
    expect(r.stdout).toMatch(new RegExp(`^BULWARK UNKNOWN - cannot reach the bulwark admin API at ${closed} \\(GET /status\\): ECONNREFUSED`));
    expect(r.code).toBe(3);
    // A listener that accepts and never answers.
    const silent = await h.rawOrigin(() => {});
    r = await runCli(['check', '-c', file, '--admin', silent.url, '--timeout', '1'], 30_000);
    expect(r.stdout).toBe(`BULWARK UNKNOWN - cannot reach the bulwark admin API at ${silent.url} (GET /status): no answer within 1000 ms (--timeout); is bulwark running? (--admin URL sets the address)\n`);
    expect(r.code).toBe(3);
    r = await runCli(['check', '-c', file, '--format', 'json'], 30_000);
    // admin.listen has port 0 (chosen at start): the check cannot know it without --admin.
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'UNKNOWN', exit: 3, message: expect.stringContaining('pass the admin address with --admin URL') });
    expect(r.code).toBe(0);
  });

  it('has its own help (check --help, bulwark help check), listed in the usage', async () => {
    for (const args of [['check', '--help'], ['help', 'check']]) {
      const r = await runCli(args, 30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: bulwark check \[-c FILE\] \[--admin URL\]/);
      expect(r.stdout).toContain('Exit status: 0 OK; 1 WARNING; 2 CRITICAL; 3 UNKNOWN');
    }
    expect((await runCli(['--help'], 30_000)).stdout).toContain('  check -c FILE ');
  });
});
