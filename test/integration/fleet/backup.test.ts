/**
 * @module test/integration/fleet/backup
 * The fleet's backup (issue 17), on real bulwark processes, their backup agents and a real
 * redis-server: every node runs an agent into one shared directory, and only the leader's
 * writes (the followers' runs are skipped); the snapshot holds every shared pin in Redis and
 * names the leader and its fencing token; `bulwark backup verify` accepts it and `restore`
 * brings the pins back on a fresh fleet. After a kill -9 the new leader's snapshots carry a
 * higher token, and the old leader's late write under its old token is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnapshot, listSnapshots, readSnapshot, type Manifest } from '../../../src/backup/index.js';
import { BulwarkError } from '../../../src/core/errors.js';
import { backupCli } from '../../helpers/backup.js';
import { assertBuilt } from '../../helpers/cli.js';
import { startFleet, type NodeSpec, type TestFleet } from '../../helpers/fleet.js';
import { agreedLeader } from '../../helpers/fleet-leader.js';
import { useHarness } from '../../helpers/harness.js';
import { send } from '../../helpers/net.js';

const h = useHarness();
const WAIT = 60_000;
const NAMES = ['lb-a', 'lb-b', 'lb-c'];

function nodeYaml(s: NodeSpec, dir: string, origins: readonly string[]): string {
  return [
    'listen: 127.0.0.1:0',
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: false }',
    // A busy test machine may take more than the default 5 ms to answer a lookup.
    s.fleetBlock('timeout: 1s'),
    `backup: { dir: "${dir}", interval: 500ms, on_reload: false }`,
    'upstreams:',
    '  web:',
    '    sticky: { mode: header, name: x-session, ttl: 1h }',
    '    servers:',
    ...origins.map((u, i) => `      - { name: s${i + 1}, url: "${u}" }`),
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n');
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-fleet-backup-'));
  // Retried: an agent whose node was kill -9'ed may still be finishing its last run in it.
  h.defer(() => rm(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 }));
  return dir;
}

/** Pins written straight into the fleet's Redis, as nodes write them (`PREFIX sticky:UPSTREAM:KEY` = server, PX ttl). */
async function seedPins(f: TestFleet, pins: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const client = createClient({ url: f.redis.url });
  await client.connect();
  try {
    for (const [key, server] of pins) await client.set(`${f.prefix}sticky:web:${key}`, server, { expiration: { type: 'PX', value: 3_600_000 } });
    // Foreign junk under the prefix is skipped, never a failed snapshot.
    await client.set(`${f.prefix}sticky:web:bad`, '', { expiration: { type: 'PX', value: 3_600_000 } });
    await client.set(`${f.prefix}sticky:nocolon`, 's1');
  } finally {
    await client.close();
  }
}

/** Waits for a snapshot in `dir` whose manifest `ok` accepts. */
async function snapshotWhere(dir: string, ok: (m: Manifest) => boolean): Promise<Manifest> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const found = (await listSnapshots(dir)).find((l) => l.manifest !== undefined && ok(l.manifest));
    if (found) return found.manifest!;
    if (Date.now() > deadline) throw new Error(`no such snapshot in ${dir}: ${JSON.stringify(await listSnapshots(dir))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the fleet backup', () => {
  beforeAll(assertBuilt);

  it('only the leader\'s agent writes; the snapshot holds every shared pin; verify accepts it; restore brings it back on a fresh fleet', async () => {
    const dir = await tempDir();
    const origins = (await h.namedOrigins(['s1', 's2'])).map((o) => o.url);
    const f = await startFleet(h, { names: NAMES, config: (s) => nodeYaml(s, dir, origins) });
    // Not alternating, so that round-robin without the pins would not answer the same.
    const pins = Array.from({ length: 40 }, (_, i) => [`user-${i}`, i % 3 === 0 ? 's1' : 's2'] as const);
    await seedPins(f, pins);
    const { leader, term } = await agreedLeader(f, NAMES);
    const m = await snapshotWhere(dir, (x) => x.session_count === pins.length);
    expect(m.fleet).toEqual({ node: leader, token: term });
    // Followers' agents ran and skipped; no snapshot in the directory names another node.
    const follower = f.node(NAMES.find((n) => n !== leader)!);
    await follower.proc.waitForLog((l) => l['event'] === 'snapshot_skipped', WAIT);
    expect((await listSnapshots(dir)).every((l) => l.manifest === undefined || l.manifest.fleet?.node === leader)).toBe(true);
    // By hand against a follower: refused, naming the leader; nothing written.
    const byHand = await backupCli(['create', '-c', follower.proc.file, '--admin', follower.adminUrl]);
    expect(byHand.code).toBe(1);
    expect(byHand.stderr).toContain('[BLWK_FLEET_NOT_LEADER]');
    expect(byHand.stderr).toContain(`this node is not the fleet's leader (${leader} does)`);
    const data = await readSnapshot(dir, m.id);
    expect(data.sessions.map((e) => [e.key, e.server]).sort()).toEqual(pins.map(([k, s]) => [k, s]).sort());

    const file = f.node(leader).proc.file;
    const verified = await backupCli(['verify', m.id, '-c', file]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // A fresh fleet (its own Redis, no backup agents), the snapshot restored into one node.
    const fresh = await startFleet(h, {
      names: ['lb-x', 'lb-y'],
      config: (s) => nodeYaml(s, dir, origins).replace(/^backup: .*\n/m, ''),
    });
    const x = fresh.node('lb-x');
    const restored = await backupCli(['restore', m.id, '--only', 'sessions', '-c', file, '--admin', x.adminUrl]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`with ${pins.length} entries`);
    for (const [key, server] of pins.slice(0, 9)) expect((await send(x.url, { headers: { 'x-session': key } })).text, key).toBe(server);
    // lb-x wrote them into the fresh fleet's Redis; lb-y, which had none of it, reads them there.
    const wrote = await x.proc.waitForLog((l) => l['event'] === 'fleet_sessions_imported', WAIT);
    expect(wrote['written']).toBe(pins.length);
    const y = fresh.node('lb-y');
    for (const [key, server] of pins.slice(9, 18)) expect((await send(y.url, { headers: { 'x-session': key } })).text, key).toBe(server);
  }, 180_000);

  it('a fleet running a pushed config: the snapshot keeps that config, and restore pushes it to a fresh fleet', async () => {
    const dir = await tempDir();
    const origins = (await h.namedOrigins(['s1', 's2'])).map((o) => o.url);
    const f = await startFleet(h, { names: ['lb-a', 'lb-b'], config: (s) => nodeYaml(s, dir, origins) });
    // The shared blocks of a node's file (no listen, admin or fleet), marked so that it can be told apart.
    const shared = `# pushed-${process.pid}\n${nodeYaml({ fleetBlock: () => 'fleet: {}' } as unknown as NodeSpec, dir, origins).replace(/^(listen|admin|fleet): .*\n/gm, '')}`;
    const pushed = await fetch(`${f.node('lb-a').adminUrl}/fleet/config?file=shared.yaml`, { method: 'POST', body: shared, headers: { 'content-type': 'application/yaml' } });
    expect(pushed.status, await pushed.clone().text()).toBe(200);
    const { version } = (await pushed.json()) as { version: number };
    const m = await snapshotWhere(dir, (x) => x.fleet?.config === 'fleet' && x.config_version === version);
    expect((await readSnapshot(dir, m.id)).configText).toBe(shared);

    const fresh = await startFleet(h, { names: ['lb-x', 'lb-y'], config: (s) => nodeYaml(s, dir, origins).replace(/^backup: .*\n/m, '') });
    const restored = await backupCli(['restore', m.id, '-c', f.node('lb-a').proc.file, '--admin', fresh.node('lb-x').adminUrl]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/config: pushed to the fleet through \S+ as fleet config version \d+/);
    // lb-y, which was not asked, runs it too.
    const deadline = Date.now() + WAIT;
    while (!(await (await fetch(`${fresh.node('lb-y').adminUrl}/config`)).text()).includes(`pushed-${process.pid}`)) {
      if (Date.now() > deadline) throw new Error('lb-y never ran the restored fleet config');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  it('a fleet node restarted does not load the snapshot\'s pins: a pin changed in Redis since is the one it follows', async () => {
    const dir = await tempDir();
    const origins = (await h.namedOrigins(['s1', 's2'])).map((o) => o.url);
    const f = await startFleet(h, { names: ['lb-a', 'lb-b'], config: (s) => nodeYaml(s, dir, origins) });
    // The session is on s2 in Redis; the newest snapshot still says s1 (it moved since). A token
    // above the fleet's keeps that snapshot the newest: the agents' later ones are fenced off.
    await seedPins(f, [['user-0', 's2']]);
    const stale = [{ key: 'user-0', upstream: 'web', server: 's1', expires_at: Date.now() + 3_600_000 }];
    await createSnapshot(dir, { configText: 'listen: 127.0.0.1:0\n', configVersion: 1, sessions: stale, fence: { node: 'lb-a', token: 1_000_000 } });
    await f.kill('lb-b');
    const b = await f.restart('lb-b');
    const startup = await b.proc.waitForLog((l) => l['event'] === 'backup_restore_skipped' || l['event'] === 'backup_sessions_restored', WAIT);
    expect((await send(b.url, { headers: { 'x-session': 'user-0' } })).text).toBe('s2');
    expect(startup['event']).toBe('backup_restore_skipped');
  }, 180_000);

  it('after kill -9 of the leader the new one writes under a higher token, and the old leader\'s late write is refused', async () => {
    const dir = await tempDir();
    const origins = (await h.namedOrigins(['s1', 's2'])).map((o) => o.url);
    const f = await startFleet(h, { names: NAMES, config: (s) => nodeYaml(s, dir, origins) });
    const first = await agreedLeader(f, NAMES);
    const before = await snapshotWhere(dir, (x) => x.fleet?.token === first.term);
    await f.kill(first.leader);
    const rest = NAMES.filter((n) => n !== first.leader);
    const next = await snapshotWhere(dir, (x) => x.fleet !== undefined && x.fleet.token > first.term);
    expect(rest).toContain(next.fleet!.node);
    // The killed leader had gathered a snapshot under its term and writes it late (a paused process waking).
    const late = await createSnapshot(dir, { configText: 'listen: 127.0.0.1:0\n', configVersion: 1, sessions: [], fence: { node: first.leader, token: first.term } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(late).toBeInstanceOf(BulwarkError);
    expect((late as BulwarkError).code).toBe('BLWK_BACKUP_FENCED');
    expect((await listSnapshots(dir)).filter((l) => l.manifest?.fleet?.node === first.leader).map((l) => l.id)).toContain(before.id);
  }, 180_000);
});
