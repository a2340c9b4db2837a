/**
 * @module test/integration/fleet/cli
 * `bulwark fleet status --admin URL` (the built CLI, a real process) against nodes that
 * heartbeat into a real redis-server; and its answer for a node without `fleet:`. A real
 * `bulwark start` with Redis down serves, warns once, and still stops at once on SIGTERM.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { simpleConfig } from '../../helpers/bulwark.js';
import { assertBuilt, CliProcess, runCli } from '../../helpers/cli.js';
import { send } from '../../helpers/net.js';
import { useHarness } from '../../helpers/harness.js';
import { freePort, startRedis } from '../../helpers/redis.js';

const h = useHarness();

beforeAll(assertBuilt);

describe('bulwark fleet status', () => {
  it('prints every node with its config version, last heartbeat and health', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const origin = await h.origin();
    const fleet = (name: string): string => simpleConfig([origin.url], { top: `fleet: { redis: "${redis.url}", node: ${name}, prefix: "cli:${process.pid}:" }` });
    const a = await h.bulwark(fleet('lb-a'), { watch: false });
    await h.bulwark(fleet('lb-b'), { watch: false });
    // Polled: the nodes appear with their first heartbeats (generous bound for a busy machine).
    const deadline = Date.now() + 20_000;
    let out = '';
    while (!/^lb-a .* yes$/m.test(out) || !/^lb-b .* yes$/m.test(out) || /leader: none$/m.test(out)) {
      if (Date.now() > deadline) throw new Error(`both nodes never showed healthy:\n${out}`);
      const r = await runCli(['fleet', 'status', '-c', a.configFile, '--admin', a.adminUrl]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      out = r.stdout;
    }
    expect(out.split('\n')[0]).toMatch(/^fleet: node lb-a, connected to Redis, leader: lb-[ab] \(term \d+\)$/);
    expect(out.split('\n')[1]).toMatch(/^NODE +CONFIG +LAST RELOAD +LAST SEEN +HEALTHY$/);
    // CONFIG: the fleet config version (0: nothing pushed, the local file alone).
    expect(out).toMatch(/^lb-a +0 +\d{4}-\d\d-\d\dT[\d:.]+Z +\d{4}-\d\d-\d\dT[\d:.]+Z +yes$/m);
    const json = await runCli(['fleet', 'status', '-c', a.configFile, '--admin', a.adminUrl, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ node: 'lb-a', connected: true, leader: expect.stringMatching(/^lb-[ab]$/), leader_term: expect.any(Number) });
  }, 60_000);

  it('exits 1 naming the node when it runs without fleet:, and 2 for a bad subcommand', async () => {
    const { bw } = await h.proxied();
    const r = await runCli(['fleet', 'status', '-c', bw.configFile, '--admin', bw.adminUrl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the bulwark at ${bw.adminUrl} runs without a fleet: block`);
    const bad = await runCli(['fleet', 'pull']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^bulwark fleet: unknown subcommand "pull"\n\nUsage: bulwark fleet status/);
    const noFile = await runCli(['fleet', 'push']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/^bulwark fleet: push needs the FILE to push\n/);
  }, 60_000);

  it('help fleet status prints the fleet help, as help fleet and fleet status --help do', async () => {
    for (const args of [['help', 'fleet', 'status'], ['help', 'fleet'], ['fleet', 'status', '--help'], ['fleet', '--help']]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: bulwark fleet status /);
      expect(r.stdout).toContain('Example:\n  bulwark fleet status ');
    }
    const unknown = await runCli(['help', 'fleet', 'frob']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no help for "fleet frob": no such command');
  }, 60_000);

  it('a bulwark process serves with Redis down, warns once, and exits 0 on SIGTERM (the retries hold nothing open)', async () => {
    const origin = await h.origin();
    const port = await freePort();
    const p = await CliProcess.start(h, simpleConfig([origin.url], { top: `fleet: { redis: "redis://127.0.0.1:${port}", node: lb-a }` }));
    expect((await send(p.url)).status).toBe(200);
    await p.waitForLog((l) => l['event'] === 'fleet_redis_down', 20_000);
    const r = await runCli(['fleet', 'status', '-c', p.file, '--admin', `http://127.0.0.1:${p.adminPort}`]);
    expect(r.stdout.split('\n')[0]).toBe('fleet: node lb-a, NOT connected to Redis (showing the last nodes read), leader: none');
    expect(r.stdout).toMatch(/^lb-a +0 +\S+ +never +no$/m);
    p.signal('SIGTERM');
    expect(await p.waitExit(20_000)).toEqual({ code: 0, signal: null });
    expect(p.logs().filter((l) => l['event'] === 'fleet_redis_down')).toHaveLength(1);
  }, 60_000);
});
