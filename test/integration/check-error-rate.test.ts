/**
 * @module test/integration/check-error-rate.test
 * `bulwark check --max-error-rate` (the built CLI, a child process) against a running
 * bulwark whose origins really fail (500s, connection resets), with a client sending
 * requests through it while the check runs: errors from before the check's window do not
 * count; one failing server of two (round robin, no retries) is about 50%, WARNING under
 * 10,90 and CRITICAL under 10,30; every request failing is 100%; perfdata and the JSON
 * fields carry the rate. Traffic runs for the whole check, so the window always sees some.
 */
import { describe, expect, it } from 'vitest';
import { assertBuilt, runCli, type CliResult } from '../helpers/cli.js';
import { chaosOrigins, ftBulwark, startLoad } from '../helpers/fault.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

/** errors, requests and rate from the message "error rate R% (E of N requests in 1 s)". */
function window(r: CliResult): { rate: number; errors: number; requests: number } {
  const m = /error rate ([\d.]+)% \((\d+) of (\d+) requests in 1 s\)/.exec(r.stdout);
  if (m === null) throw new Error(`no error rate in: ${r.stdout}${r.stderr}`);
  return { rate: Number(m[1]), errors: Number(m[2]), requests: Number(m[3]) };
}

describe('bulwark check --max-error-rate', () => {
  const h = useHarness();

  it('judges the error rate of real traffic within the window between two /status reads', async () => {
    assertBuilt();
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    const bw = await ftBulwark(h, [a!, b!]);
    /** Runs the check while one client keeps sending requests through bulwark. */
    const checkUnderLoad = async (...args: string[]): Promise<CliResult> => {
      const load = startLoad(h, bw.url, 1);
      try {
        return await runCli(['check', '-c', bw.configFile, '--admin', bw.adminUrl, '--interval', '1', ...args], 30_000);
      } finally {
        await load.stop();
      }
    };

    // 20 errors before the check: a rate since start would count them.
    a!.error(500);
    b!.error(500);
    for (let i = 0; i < 20; i++) expect((await send(bw.url)).status).toBe(500);
    a!.answer();
    b!.answer();
    let r = await checkUnderLoad('--max-error-rate', '10,30');
    expect(r.stdout).toMatch(/^BULWARK OK - web: 2\/2 servers available, error rate 0% \(0 of \d+ requests in 1 s\) \| 'web_available'=2;1;0;0;2 'web_error_rate'=0%;10;30;0;100\n$/);
    expect(r.code).toBe(0);
    expect(window(r).requests).toBeGreaterThan(0);

    // b fails every request it gets: round robin over one client alternates a, b, so half fail.
    b!.error(500);
    r = await checkUnderLoad('--max-error-rate', '10,90');
    const w = window(r);
    expect(w.requests).toBeGreaterThanOrEqual(4);
    expect(Math.abs(2 * w.errors - w.requests)).toBeLessThanOrEqual(1);
    expect(r.stdout).toMatch(/^BULWARK WARNING - web: 2\/2 servers available, error rate [\d.]+% .* 'web_error_rate'=[\d.]+%;10;90;0;100\n$/);
    expect(r.code).toBe(1);
    r = await checkUnderLoad('--max-error-rate', '10,30');
    expect(r.stdout).toMatch(/^BULWARK CRITICAL - /);
    expect(r.code).toBe(2);

    // a resets every connection (no answer at all counts as an error too): 100%.
    a!.reset();
    r = await checkUnderLoad('--max-error-rate', '10,90', '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ status: 'CRITICAL', exit: 2, web_status: 'CRITICAL', web_error_rate: 100, web_available: 2 });
    expect(doc['web_errors']).toBe(doc['web_requests']);
    expect(doc['web_requests']).toBeGreaterThan(0);
    // Without --max-error-rate the same proxy is OK: every server is still available.
    r = await runCli(['check', '-c', bw.configFile, '--admin', bw.adminUrl], 30_000);
    expect(r.stdout).toBe("BULWARK OK - web: 2/2 servers available | 'web_available'=2;1;0;0;2\n");
  });

  it('UNKNOWN (exit 3) for a bad --max-error-rate or --interval', async () => {
    assertBuilt();
    const bad = async (args: string[], message: string): Promise<void> => {
      const r = await runCli(['check', '--admin', 'http://127.0.0.1:1', ...args], 30_000);
      expect(r.stdout).toBe(`BULWARK UNKNOWN - bad usage: ${message} (bulwark check --help)\n`);
      expect(r.code).toBe(3);
    };
    await bad(['--max-error-rate', '101'], '--max-error-rate "101": must be W or W,C, percentages from 0 to 100 (e.g. 5 or 5,20)');
    await bad(['--max-error-rate', '5,x'], '--max-error-rate "5,x": must be W or W,C, percentages from 0 to 100 (e.g. 5 or 5,20)');
    await bad(['--max-error-rate', '20%,5%'], '--max-error-rate "20%,5%": CRITICAL 5% is below WARNING 20%');
    await bad(['--max-error-rate', '5', '--interval', '0'], '--interval "0": must be a number of seconds above 0');
    await bad(['--max-error-rate', '5', '--interval', '10'], '--interval 10 is not below --timeout 10');
  });
});
