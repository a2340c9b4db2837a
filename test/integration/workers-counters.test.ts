/**
 * @module test/integration/workers-counters
 * `workers: 2` as real processes: the primary's /status and /metrics show the group's
 * request counters (each worker's snapshot, summed), and a worker killed with SIGKILL takes
 * none of them away (its last snapshot joins a retired total).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { accessByPid, alive, sendMany, startGroup, waitAsync, workerPids, workersOf } from '../helpers/group.js';
import { assertBuilt, type CliProcess } from '../helpers/cli.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

/** Flow style: one origin, optional upstream settings (`key: value, ` each). */
function groupConfig(origins: ReadonlyArray<{ url: string }>, upstream = ''): string {
  const servers = origins.map((o) => `{ url: "${o.url}" }`).join(', ');
  return `workers: 2\nlisten: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nupstreams: { web: { ${upstream}servers: [${servers}] } }\nroutes: [{ upstream: web }]\n`;
}

/** A group over a healthy origin (s0) and one that answers `status` (s1), with `upstream` settings. */
async function withFailing(h: Harness, status: number, upstream: string): Promise<CliProcess> {
  const [a] = await h.namedOrigins(['a']);
  const failing = await h.origin((_req, res) => {
    res.statusCode = status;
    res.end('b');
  });
  return startGroup(h, groupConfig([a!, failing], upstream));
}

interface ServerStatus {
  name: string;
  requests: number;
  flags: string[];
  worker_flags: { ejected: number; circuit_open: number };
}

async function servers(p: CliProcess): Promise<Map<string, ServerStatus>> {
  const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/status' });
  const doc = JSON.parse(r.text) as { upstreams: Array<{ servers: ServerStatus[] }> };
  return new Map(doc.upstreams[0]!.servers.map((s, i) => [`s${i}`, s]));
}

/** The sum of a metric's samples whose line starts with `prefix` (name and labels). */
async function metric(p: CliProcess, prefix: string): Promise<number> {
  const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/metrics' });
  return r.text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/**
 * Polls `read` until it gives `want`: a worker slow to answer on a loaded machine (over the
 * primary's 1 s) is counted at a later read, as its late answer is kept.
 */
async function settles<T>(read: () => Promise<T>, want: T): Promise<void> {
  let last: T | undefined;
  try {
    await waitAsync(async () => JSON.stringify((last = await read())) === JSON.stringify(want), 15_000, 'the counters');
  } catch {
    expect(last).toEqual(want);
  }
}

describe('workers: 2: the group counters', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('/status and /metrics count the requests of both workers; a worker killed takes none away', async () => {
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, groupConfig([a!]));
    const r = await sendMany(p.url, 40);
    expect(r).toMatchObject({ ok: 40, failed: 0 });
    // Both workers served some: the sums below add two processes' counts.
    expect([...accessByPid(p).keys()].filter((pid) => workerPids(p).includes(pid))).toHaveLength(2);
    const name = (await servers(p)).get('s0')!.name;
    const counts = async (): Promise<number[]> => [
      (await servers(p)).get('s0')!.requests,
      (JSON.parse((await send(`http://127.0.0.1:${p.adminPort}`, { path: `/servers/web/${name}` })).text) as ServerStatus).requests,
      await metric(p, 'bulwark_requests_total{upstream="web"'),
      await metric(p, 'bulwark_upstream_requests_total{upstream="web"'),
      await metric(p, 'bulwark_request_duration_seconds_count{upstream="web"'),
    ];
    await settles(counts, [40, 40, 40, 40, 40]);

    const [victim] = workerPids(p);
    process.kill(victim!, 'SIGKILL');
    // While it is gone and while it restarts, no counter goes down.
    let seen: number[] = [];
    await waitAsync(
      async () => {
        seen.push((await servers(p)).get('s0')!.requests, await metric(p, 'bulwark_requests_total{upstream="web"'));
        const ws = await workersOf(p);
        return ws.some((w) => w.restarts === 1 && w.pid !== null && w.pid !== victim);
      },
      30_000,
      'the killed worker to be restarted',
    );
    expect(Math.min(...seen)).toBe(40);
    await waitAsync(async () => (await sendMany(p.url, 1)).ok === 1, 10_000, 'a request served after the restart');
    await settles(counts, [41, 41, 41, 41, 41]);
  }, 90_000);

  it('a worker that does not answer within 1 s is stale: its previous counts stand, and it is fresh again once it answers', async () => {
    const [a] = await h.namedOrigins(['a']);
    const p = await startGroup(h, groupConfig([a!]));
    expect(await sendMany(p.url, 20)).toMatchObject({ ok: 20, failed: 0 });
    await settles(async () => (await servers(p)).get('s0')!.requests, 20);
    const [frozen] = workerPids(p);
    process.kill(frozen!, 'SIGSTOP');
    h.defer(() => alive(frozen!) && process.kill(frozen!, 'SIGCONT'));
    const stale = async (): Promise<Record<number, boolean>> => Object.fromEntries((await workersOf(p)).map((w) => [w.pid, (w as unknown as { stale: boolean }).stale]));
    const pids = workerPids(p);
    await settles(stale, { [pids[0]!]: true, [pids[1]!]: false });
    expect((await servers(p)).get('s0')!.requests).toBe(20);
    process.kill(frozen!, 'SIGCONT');
    await waitAsync(async () => Object.values(await stale()).every((s) => !s), 15_000, 'the worker to answer again');
    expect((await servers(p)).get('s0')!.requests).toBe(20);
  }, 90_000);

  it('the retry counters are the group\'s: every attempt to a 503 server retried once, counted as such', async () => {
    const p = await withFailing(h, 503, 'retries: { attempts: 1, on: [503], budget: 100% }, ');
    expect(await sendMany(p.url, 40)).toMatchObject({ ok: 40, failed: 0 });
    let retried = 0;
    // Each attempt the 503 server answered was retried on the other, in whichever worker.
    await settles(async () => {
      const s = await servers(p);
      retried = await metric(p, 'bulwark_retries_total{upstream="web",result="retried"}');
      return [s.get('s1')!.requests - retried, (await metric(p, 'bulwark_retries_total{upstream="web",result="succeeded"}')) - retried, s.get('s0')!.requests];
    }, [0, 0, 40]);
    expect(retried).toBeGreaterThan(0);
  }, 90_000);

  it('an ejection in a worker shows as worker_flags in /status and as the flag in /metrics; server_up stays the primary\'s', async () => {
    const p = await withFailing(h, 500, `outlier_detection: { consecutive_5xx: 1, base_ejection_time: 60s, jitter: 0% }, `);
    // One request at a time until a worker has sent one to the failing server (and ejected it).
    await waitAsync(async () => (await sendMany(p.url, 1, 1), (await servers(p)).get('s1')!.worker_flags.ejected >= 1), 30_000, 'an ejection in a worker');
    const b = (await servers(p)).get('s1')!;
    expect(b.flags).toEqual([]);
    expect(b.worker_flags.circuit_open).toBe(0);
    expect(b.worker_flags.ejected).toBeGreaterThanOrEqual(1);
    expect(b.worker_flags.ejected).toBeLessThanOrEqual(2);
    expect(await metric(p, `bulwark_server_flag{upstream="web",server="${b.name}",flag="ejected"}`)).toBe(1);
    expect(await metric(p, `bulwark_server_up{upstream="web",server="${b.name}"}`)).toBe(1);
    expect((await servers(p)).get('s0')!.worker_flags).toEqual({ ejected: 0, circuit_open: 0 });
    // The ejections are counted over the workers: one per worker that ejected it (60 s: none has returned yet).
    const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/status' });
    const web = (JSON.parse(r.text) as { upstreams: Array<{ outlier_detection: { enforced: Record<string, number>; ejected_now: number }; servers: ServerStatus[] }> }).upstreams[0]!;
    expect(web.outlier_detection.enforced['consecutive_5xx']).toBe(web.servers[1]!.worker_flags.ejected);
    expect(web.outlier_detection.ejected_now).toBe(web.servers[1]!.worker_flags.ejected);
    expect(await metric(p, `bulwark_outlier_ejections_total{upstream="web",server="${b.name}",kind="enforced"`)).toBe(web.servers[1]!.worker_flags.ejected);
  }, 90_000);

  it('a breaker opened in a worker: worker_flags.circuit_open, the flag in /metrics, its trips summed, its state the group\'s', async () => {
    const p = await withFailing(h, 500, `circuit_breaker: { min_requests: 1, error_rate: 1%, open_for: 60s }, `);
    await waitAsync(async () => (await sendMany(p.url, 1, 1), (await servers(p)).get('s1')!.worker_flags.circuit_open >= 1), 30_000, 'a breaker opened in a worker');
    const b = (await servers(p)).get('s1')!;
    expect(b.flags).toEqual([]);
    expect(await metric(p, `bulwark_server_flag{upstream="web",server="${b.name}",flag="circuit_open"}`)).toBe(1);
    expect(await metric(p, `bulwark_circuit_trips_total{upstream="web",server="${b.name}"}`)).toBe(b.worker_flags.circuit_open);
    // Per server, the worst state over the workers (60 s open: none has gone half-open yet).
    const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/status' });
    const cb = (JSON.parse(r.text) as { upstreams: Array<{ circuit_breaker: { states: Record<string, string> } }> }).upstreams[0]!.circuit_breaker;
    expect(cb.states[b.name]).toBe('open');
    expect(Object.values(cb.states).filter((st) => st !== 'closed')).toEqual(['open']);
    expect(await metric(p, `bulwark_circuit_state{upstream="web",server="${b.name}"}`)).toBe(1);
  }, 90_000);

  it('the pending queue\'s length is the workers\' sum in /status and bulwark_queue_depth', async () => {
    const held: Array<() => void> = [];
    let open = false;
    const slow = await h.origin((_req, res) => void (open ? res.end('late') : held.push(() => res.end('late'))));
    const release = (): void => void ((open = true), held.splice(0).forEach((end) => end()));
    h.defer(release);
    const p = await startGroup(h, groupConfig([slow], 'circuit_breaker: { max_concurrent: 1, max_pending: 20, pending_timeout: 60s }, '));
    const SENT = 6;
    const replies = Array.from({ length: SENT }, () => send(p.url).catch(() => undefined));
    const queue = async (): Promise<number[]> => {
      const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/status' });
      const web = (JSON.parse(r.text) as { upstreams: Array<{ circuit_breaker: { pending: number }; servers: Array<{ active_requests: number }> }> }).upstreams[0]!;
      // Each worker sends one request at a time to the one server; the rest wait in its queue.
      return [web.circuit_breaker.pending + web.servers[0]!.active_requests, web.circuit_breaker.pending, await metric(p, 'bulwark_queue_depth{upstream="web"}')];
    };
    let seen: number[] = [];
    // The origin holds one request per worker that got any (1 or 2); the others wait.
    const want = (): number[] => [SENT, SENT - held.length, SENT - held.length];
    await waitAsync(async () => (seen = await queue()).join() === want().join(), 30_000, 'every request in flight or queued').catch(() => expect(seen).toEqual(want()));
    expect(seen[1]).toBeGreaterThanOrEqual(SENT - 2);
    release();
    expect((await Promise.all(replies)).map((r) => r?.status)).toEqual(Array(SENT).fill(200));
  }, 90_000);
});
