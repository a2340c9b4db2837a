/**
 * @module test/integration/fleet/config-push
 * `bulwark fleet push` and POST /fleet/config on 3 real nodes sharing a real redis-server:
 * a good push reaches every node (each serves through the pushed upstream and reports the
 * version), a node started late and a node with workers: 2 apply it too; a bad file is
 * refused with positioned errors before anything is stored; a node that cannot apply a
 * pushed config keeps serving its previous one and reports why in the fleet's status; with
 * Redis down a push is refused, and a Redis back empty gets the config back from the nodes.
 */
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { simpleConfig } from '../../helpers/bulwark.js';
import { makeCa } from '../../helpers/certs.js';
import { assertBuilt, runCli, tempConfig } from '../../helpers/cli.js';
import { startFleet, waitFleetStatus, type TestFleet } from '../../helpers/fleet.js';
import { startGroup } from '../../helpers/group.js';
import { useHarness } from '../../helpers/harness.js';
import { send } from '../../helpers/net.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine (a hang guard, not a timing assertion).
const WAIT = 30_000;

beforeAll(assertBuilt);

interface NodeView { node: string; config_version: number; config_error: string | null }
interface FleetView { nodes: NodeView[] }

const NAMES = ['lb-a', 'lb-b', 'lb-c'];

/** An origin answering its own name. */
async function named(name: string): Promise<string> {
  return (await h.origin((_req, res) => res.end(name))).url;
}

/** The shared blocks a push carries: every request to `url` (`more`: more upstreams). */
const pushed = (url: string, more = ''): string => `log: { level: info }\nupstreams:\n  web:\n    servers: [{ url: "${url}" }]\n${more}routes:\n  - upstream: web\n`;

async function fleetOf(local: string): Promise<TestFleet> {
  return startFleet(h, { names: NAMES, config: (spec) => simpleConfig([local], { top: spec.fleetBlock() }) });
}

async function waitServes(url: string, body: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const r = await send(url);
    if (r.status === 200 && String(r.body) === body) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url} to serve "${body}" (last: ${r.status} ${r.body})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const versions = (f: FleetView): Record<string, number> => Object.fromEntries(f.nodes.map((n) => [n.node, n.config_version]));

describe('fleet config push', () => {
  it('a good push reaches all three nodes, a late joiner and a node with workers: 2', async () => {
    const fleet = await fleetOf(await named('local'));
    const pushedUrl = await named('pushed');
    for (const n of fleet.nodes) await waitServes(n.url, 'local');

    const file = await tempConfig(h, pushed(pushedUrl));
    const r = await runCli(['fleet', 'push', '-c', fleet.node('lb-b').proc.file, '--admin', fleet.node('lb-b').adminUrl, file], WAIT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stored as fleet config version 1/);
    for (const n of fleet.nodes) await waitServes(n.url, 'pushed');
    const seen = await waitFleetStatus<FleetView>(fleet.node('lb-a').adminUrl, (f) => NAMES.every((n) => versions(f)[n] === 1), 'every node on version 1', WAIT);
    expect(seen.nodes.map((n) => n.config_error)).toEqual([null, null, null]);

    // Killed, then started again from its local file alone: it catches up with the stored version.
    await fleet.kill('lb-c');
    const c = await fleet.restart('lb-c');
    await waitServes(c.url, 'pushed');
    // A worker group: the primary combines, its workers run the same text.
    const w = await startGroup(h, simpleConfig([await named('local')], { top: `workers: 2\nfleet: { redis: "${fleet.redis.url}", node: lb-w, prefix: "${fleet.prefix}" }` }));
    for (let i = 0; i < 4; i++) await waitServes(w.url, 'pushed');

    // A second push: version 2, and the local blocks (listen, admin) stay each node's own.
    const second = await fetch(`${fleet.node('lb-a').adminUrl}/fleet/config`, { method: 'POST', body: pushed(await named('second')) });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ version: 2 });
    for (const url of [...fleet.nodes.map((n) => n.url), w.url]) await waitServes(url, 'second');
    await waitFleetStatus<FleetView>(fleet.node('lb-b').adminUrl, (f) => [...NAMES, 'lb-w'].every((n) => versions(f)[n] === 2), 'every node on version 2', WAIT);
  }, 180_000);

  it('refuses a bad file before storing it, and a node that cannot apply a push keeps its config and says why', async () => {
    const fleet = await fleetOf(await named('local'));
    const a = fleet.node('lb-a');
    const bad = await tempConfig(h, `${pushed(await named('x'))}listen: 127.0.0.1:0\nfront: { nope: 1 }\n`);
    const r = await runCli(['fleet', 'push', '-c', a.proc.file, '--admin', a.adminUrl, bad], WAIT);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:7:1: listen: is a node's own (its proxy listeners): not allowed in a fleet config`);
    const invalid = await fetch(`${a.adminUrl}/fleet/config`, { method: 'POST', body: pushed('ftp://nowhere') });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; details: string[] };
    expect(body.error).toMatch(/refused, nothing stored/);
    expect(body.details[0]).toMatch(/^pushed config:4:\d+: upstreams\.web\.servers\[0\]\.url: /);
    const stored = await promisify(execFile)('redis-cli', ['-p', String(fleet.redis.port), 'EXISTS', `${fleet.prefix}config`]);
    expect(stored.stdout.trim()).toBe('0');

    // A CA file only lb-a has (relative paths resolve against each node's own config folder).
    const ca = makeCa(dirname(a.proc.file));
    await copyFile(ca.cert, join(dirname(a.proc.file), 'fleet-ca.pem'));
    const withCa = await fetch(`${a.adminUrl}/fleet/config`, { method: 'POST', body: pushed(await named('pushed'), '  api:\n    tls: { ca: fleet-ca.pem }\n    servers: [{ url: "https://127.0.0.1:9" }]\n') });
    expect(withCa.status, await withCa.clone().text()).toBe(200);
    await waitServes(a.url, 'pushed');
    const f = await waitFleetStatus<FleetView>(a.adminUrl, (v) => ['lb-b', 'lb-c'].every((n) => v.nodes.find((x) => x.node === n)?.config_error), 'lb-b and lb-c to report their error', WAIT);
    for (const n of f.nodes.filter((x) => x.node !== 'lb-a')) {
      expect(n.config_version).toBe(0);
      expect(n.config_error).toMatch(/^fleet config v1:6:\d+: upstreams\.api\.tls\.ca: cannot read .*fleet-ca\.pem: ENOENT/);
    }
    expect(f.nodes.find((x) => x.node === 'lb-a')).toMatchObject({ config_version: 1, config_error: null });
    for (const n of ['lb-b', 'lb-c']) expect(String((await send(fleet.node(n).url)).body)).toBe('local');
    const table = await runCli(['fleet', 'status', '-c', a.proc.file, '--admin', a.adminUrl], WAIT);
    expect(table.stdout).toMatch(/lb-b refused its last config \(still running the one before\):\n {2}fleet config v1:6:/);
  }, 180_000);

  it('through a Redis outage: a push is refused (503), nodes keep their config, and a Redis back empty gets it back so the next push reaches all', async () => {
    const fleet = await fleetOf(await named('local'));
    const post = (node: string, text: string): Promise<Response> => fetch(`${fleet.node(node).adminUrl}/fleet/config`, { method: 'POST', body: text });
    expect((await post('lb-a', pushed(await named('one')))).status).toBe(200);
    for (const n of fleet.nodes) await waitServes(n.url, 'one');

    await fleet.redis.stop();
    await waitFleetStatus<{ connected: boolean }>(fleet.node('lb-b').adminUrl, (f) => !f.connected, 'lb-b to see Redis down', WAIT);
    const refused = await post('lb-b', pushed(await named('lost')));
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toMatch(/fleet config not stored: Redis is unreachable/);
    for (const n of fleet.nodes) expect(String((await send(n.url)).body)).toBe('one');

    await fleet.redis.restart();
    const stored = async (): Promise<string> => (await promisify(execFile)('redis-cli', ['-p', String(fleet.redis.port), 'HGET', `${fleet.prefix}config`, 'version'])).stdout.trim();
    for (const deadline = Date.now() + WAIT; (await stored()) !== '1'; ) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a node to write version 1 back');
      await new Promise((r) => setTimeout(r, 100));
    }
    const next = await post('lb-c', pushed(await named('two')));
    expect(await next.json()).toEqual({ version: 2 });
    for (const n of fleet.nodes) await waitServes(n.url, 'two');
  }, 180_000);
});
