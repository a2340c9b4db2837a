/**
 * @module test/integration/fleet/membership
 * Fleet membership through a real redis-server (issue 17, first part): nodes see each other
 * in /status; Redis down at start or lost later never stops serving, is warned of once per
 * outage, and the node reconnects by itself when Redis comes back.
 */
import { describe, expect, it } from 'vitest';
import type { TestBulwark } from '../../helpers/bulwark.js';
import { simpleConfig } from '../../helpers/bulwark.js';
import { useHarness } from '../../helpers/harness.js';
import { send, waitFor } from '../../helpers/net.js';
import { freePort, startRedis } from '../../helpers/redis.js';

interface FleetNode { node: string; config_version: number; last_reload: string; last_seen: string | null; healthy: boolean; config_error: string | null }
interface FleetStatus { node: string; connected: boolean; leader: string | null; leader_term: number | null; nodes: FleetNode[] }

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 20_000;

async function fleetStatus(bw: TestBulwark): Promise<FleetStatus> {
  const res = await fetch(`${bw.adminUrl}/status`);
  return ((await res.json()) as { fleet: FleetStatus }).fleet;
}

/** Polls /status until `cond` holds of its fleet section. */
async function waitFleet(bw: TestBulwark, cond: (f: FleetStatus) => boolean, what: string): Promise<FleetStatus> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const f = await fleetStatus(bw);
    if (cond(f)) return f;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(f)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const healthyNames = (f: FleetStatus): string[] => f.nodes.filter((n) => n.healthy).map((n) => n.node);
const events = (bw: TestBulwark, event: string): number => bw.logs.filter((l) => l['event'] === event).length;

async function node(name: string, url: string, origin: string): Promise<TestBulwark> {
  return h.bulwark(simpleConfig([origin], { top: `fleet: { redis: "${url}", node: ${name}, prefix: "test:${process.pid}:" }` }), { watch: false });
}

/** A Redis, one origin, and nodes lb-a and lb-b in front of it. */
async function twoNodes(): Promise<{ redis: Awaited<ReturnType<typeof startRedis>>; a: TestBulwark; b: TestBulwark }> {
  const redis = await startRedis();
  h.defer(() => redis.close());
  const origin = await h.origin();
  return { redis, a: await node('lb-a', redis.url, origin.url), b: await node('lb-b', redis.url, origin.url) };
}

async function serves(bw: TestBulwark): Promise<void> {
  for (let i = 0; i < 5; i++) expect((await send(bw.url)).status).toBe(200);
}

describe('fleet membership through Redis', () => {
  it('shows every node, with its config version and health, in each node\'s /status', async () => {
    const { redis, a, b } = await twoNodes();
    const leaders = new Set<string | null>();
    for (const bw of [a, b]) {
      const f = await waitFleet(bw, (s) => healthyNames(s).length === 2 && s.leader !== null, 'both nodes healthy and a leader');
      leaders.add(f.leader);
      expect(f.connected).toBe(true);
      // One leader, and both nodes name the same one (the lease is a single key).
      expect(['lb-a', 'lb-b']).toContain(f.leader);
      expect(f.leader_term).toBeGreaterThan(0);
      expect(f.nodes.map((n) => n.node)).toEqual(['lb-a', 'lb-b']);
      for (const n of f.nodes) {
        // The fleet config version each runs: 0, their local files alone (nothing pushed).
        expect(n.config_version).toBe(0);
        expect(n.config_error).toBeNull();
        expect(Number.isNaN(Date.parse(n.last_reload))).toBe(false);
        expect(Number.isNaN(Date.parse(n.last_seen!))).toBe(false);
      }
    }
    expect(leaders.size).toBe(1);
    expect((await fleetStatus(a)).node).toBe('lb-a');
    // A node that stops beating turns unhealthy in the others' view (after 3 heartbeats).
    await a.stop();
    await waitFleet(b, (s) => s.nodes.some((n) => n.node === 'lb-a' && !n.healthy), 'lb-a unhealthy');
  }, 60_000);

  it('starts and serves with Redis down, warns once, and connects when Redis comes up', async () => {
    const port = await freePort();
    const origin = await h.origin();
    const a = await node('lb-a', `redis://127.0.0.1:${port}`, origin.url);
    await serves(a);
    const down = await fleetStatus(a);
    expect(down.connected).toBe(false);
    expect(down.nodes).toEqual([expect.objectContaining({ node: 'lb-a', last_seen: null, healthy: false })]);
    await waitFor(() => events(a, 'fleet_redis_down') === 1, WAIT, 'the outage warning');
    // Let it retry a few times (100 ms back-off doubling): still one warning.
    await new Promise((r) => setTimeout(r, 1500));
    await serves(a);
    expect(events(a, 'fleet_redis_down')).toBe(1);
    const redis = await startRedis(port);
    h.defer(() => redis.close());
    await waitFleet(a, (s) => s.connected && healthyNames(s).includes('lb-a'), 'connected and beating');
    expect(events(a, 'fleet_redis_up')).toBe(1);
    expect(events(a, 'fleet_redis_down')).toBe(1);
  }, 60_000);

  it('keeps serving when Redis is killed, and both nodes find each other again after its restart', async () => {
    const { redis, a, b } = await twoNodes();
    await waitFleet(a, (s) => healthyNames(s).length === 2, 'both nodes healthy');
    await redis.stop();
    await waitFleet(a, (s) => !s.connected, 'the lost connection');
    await serves(a);
    await serves(b);
    await new Promise((r) => setTimeout(r, 1500));
    expect(events(a, 'fleet_redis_down')).toBe(1);
    // The restarted Redis is empty (no persistence): the heartbeats fill it again.
    await redis.restart();
    for (const bw of [a, b]) await waitFleet(bw, (s) => s.connected && healthyNames(s).length === 2, 'both nodes back');
    expect(events(a, 'fleet_redis_down')).toBe(1);
    expect(events(a, 'fleet_redis_up')).toBe(2);
  }, 60_000);
});
