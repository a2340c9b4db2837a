/**
 * @module test/integration/workers-sticky
 * Sticky sessions shared by `workers: 2` (the built CLI, real processes): every request is
 * on a fresh connection, so cluster hands them to both workers (their access lines' pids
 * say which), and each session still sticks to one server, in every mode. The primary's
 * tables hold the workers' pins (/sessions/export, a backup snapshot), an import reaches
 * both workers, a worker killed with SIGKILL comes back with the sessions, a reload that
 * rebuilds a table empties it in every process alike, and reads on the workers keep a
 * session alive in the primary's table.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNdjson, encodeNdjson, type StickyEntry } from '../../src/balancer/sticky/index.js';
import { backupCli } from '../helpers/backup.js';
import { assertBuilt, type CliProcess } from '../helpers/cli.js';
import { LogTail, startGroup, waitAsync, workerPids } from '../helpers/group.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';
import { saveFile } from '../helpers/reload.js';

type Mode = 'cookie' | 'learn' | 'header' | 'ip';
const MODES: readonly Mode[] = ['cookie', 'learn', 'header', 'ip'];
const STICKY: Record<Mode, string> = { cookie: '{ mode: cookie }', learn: '{ mode: learn, name: JSESSIONID }', header: '{ mode: header, name: x-session }', ip: '{ mode: ip }' };
const NAMES = ['a', 'b', 'c'];

/** Answers its name; hands out an application session cookie to a client without one (learn mode learns it). */
function sessionOrigin(name: string): http.RequestListener {
  let n = 0;
  return (req, res) => {
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (!/JSESSIONID=/.test(req.headers.cookie ?? '')) headers['set-cookie'] = `JSESSIONID=${name}-${++n}; Path=/`;
    res.writeHead(200, headers);
    res.end(name);
  };
}

/** One upstream per mode (routed by /MODE/), each over the same three servers, round-robin. */
function groupConfig(urls: readonly string[], modes: readonly Mode[], extra = '', ttl = ''): string {
  const servers = urls.map((u, i) => `      - { name: ${NAMES[i]}, url: "${u}" }`).join('\n');
  const upstreams = modes.map((m) => `  ${m}:\n    scheduler: round-robin\n    sticky: ${STICKY[m].replace(' }', `${ttl} }`)}\n    servers:\n${servers}`).join('\n');
  const routes = modes.map((m) => `  - match: { path_prefix: /${m}/ }\n    upstream: ${m}`).join('\n');
  return `listen: 127.0.0.1:0\nworkers: 2\nadmin: { listen: 127.0.0.1:0 }\nupstreams:\n${upstreams}\nroutes:\n${routes}\n${extra}`;
}

const setCookie = (r: { headers: http.IncomingHttpHeaders }, name: string): string | undefined =>
  ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`))?.split(';')[0];

interface Session {
  readonly mode: Mode;
  readonly id: string;
  /** The Cookie header it sends (cookie and learn modes, once it has one). */
  cookie: string | undefined;
  /** Who answered each request. */
  readonly servers: string[];
  /** Session cookies bulwark set after the first request (a worker that did not know the session). */
  reissued: number;
}

const newSession = (mode: Mode, id: string, cookie?: string): Session => ({ mode, id, cookie, servers: [], reissued: 0 });

/** Sends `n` requests of session `s`, one after another, each on a fresh connection. */
async function drive(url: string, s: Session, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const headers: Record<string, string> = {};
    if (s.mode === 'header') headers['x-session'] = s.id;
    if (s.cookie !== undefined) headers['cookie'] = s.cookie;
    const r = await send(url, { path: `/${s.mode}/${s.id}/${s.servers.length}`, headers });
    if (r.status !== 200) throw new Error(`${s.mode} session ${s.id}: HTTP ${r.status}: ${r.text}`);
    s.servers.push(r.text);
    const issued = setCookie(r, 'bulwark_sid');
    if (s.mode === 'cookie' && issued !== undefined) {
      if (s.cookie !== undefined) s.reissued++;
      s.cookie = issued;
    }
    if (s.mode === 'learn') s.cookie ??= setCookie(r, 'JSESSIONID');
  }
}

/** Drives every session `n` requests, sessions side by side. */
const driveAll = (url: string, sessions: readonly Session[], n: number): Promise<unknown> => Promise.all(sessions.map((s) => drive(url, s, n)));

/** The session key each mode's table holds. */
function keyOf(s: Session): string {
  if (s.mode === 'header') return s.id;
  if (s.mode === 'ip') return '127.0.0.1';
  return s.cookie!.slice(s.cookie!.indexOf('=') + 1);
}

/** Each session went to one server, and bulwark never issued it a second cookie. */
function expectStuck(sessions: readonly Session[]): void {
  for (const s of sessions) {
    expect(new Set(s.servers), `${s.mode} session ${s.id}: ${s.servers.join(',')}`).toHaveProperty('size', 1);
    expect(s.reissued, `${s.mode} session ${s.id} got a new cookie`).toBe(0);
  }
}

/** The pids that served each session (by its access lines' paths), once all `total` requests are logged. */
async function pidsBySession(tail: LogTail, total: number): Promise<Map<string, Set<number>>> {
  const access = (): Array<Record<string, unknown>> => tail.lines().filter((l) => l['msg'] === 'access');
  await waitFor(() => access().length >= total, 15_000, `${total} access lines`);
  const out = new Map<string, Set<number>>();
  for (const l of access()) {
    const session = String(l['path']).split('/').slice(0, 3).join('/');
    if (!out.has(session)) out.set(session, new Set());
    out.get(session)!.add(Number(l['pid']));
  }
  return out;
}

async function exported(p: CliProcess): Promise<StickyEntry[]> {
  const r = await send(`http://127.0.0.1:${p.adminPort}`, { path: '/sessions/export' });
  return decodeNdjson(r.text).entries;
}

/** Polls the primary's export until it holds every session's pin (each worker sends its pins as it makes them). */
async function waitExported(p: CliProcess, sessions: readonly Session[]): Promise<void> {
  const want = (e: readonly StickyEntry[]): boolean => sessions.every((s) => e.some((x) => x.upstream === s.mode && x.key === keyOf(s) && x.server === s.servers[0]));
  await waitAsync(async () => want(await exported(p)), 15_000, 'the workers\' pins in the primary\'s export');
}

describe('workers: 2 share their sticky sessions', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  const origins = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const n of NAMES) out.push((await h.origin(sessionOrigin(n))).url);
    return out;
  };

  it('every mode: each session sticks to one server whichever worker serves it; the primary exports the pins and snapshots them', async () => {
    const urls = await origins();
    const p = await startGroup(h, groupConfig(urls, MODES, 'backup: { dir: backups, interval: 1h }\n'));
    const tail = new LogTail(p);
    const pids = workerPids(p);
    const sessions = MODES.flatMap((m) => (m === 'ip' ? [newSession(m, 's0')] : Array.from({ length: 8 }, (_, i) => newSession(m, `s${i}`))));
    const PER_SESSION = 8;
    await driveAll(p.url, sessions, PER_SESSION);
    expectStuck(sessions);
    // Both workers served them, and sessions went through both (cluster hands connections out in turn).
    const served = await pidsBySession(tail, sessions.length * PER_SESSION);
    expect(new Set([...served.values()].flatMap((s) => [...s]))).toEqual(new Set(pids));
    expect([...served.values()].filter((s) => s.size === 2).length).toBeGreaterThan(0);

    await waitExported(p, sessions);
    const created = await backupCli(['create', '-c', p.file, '--admin', `http://127.0.0.1:${p.adminPort}`]);
    expect(created.code, created.stderr).toBe(0);
    const id = /created snapshot (\S+)/.exec(created.stdout)![1]!;
    const snapshot = decodeNdjson(await readFile(join(dirname(p.file), 'backups', id, 'sessions.ndjson'), 'utf8')).entries;
    for (const s of sessions) expect(snapshot.find((e) => e.upstream === s.mode && e.key === keyOf(s))?.server, `${s.mode} ${s.id} in the snapshot`).toBe(s.servers[0]);
  }, 120_000);

  it('an import reaches both workers; a worker killed with SIGKILL comes back with the sessions; a reload that rebuilds the table empties it everywhere', async () => {
    const urls = await origins();
    const p = await startGroup(h, groupConfig(urls, ['cookie']));
    const tail = new LogTail(p);
    const live = Array.from({ length: 6 }, (_, i) => newSession('cookie', `live${i}`));
    await driveAll(p.url, live, 3);
    // Imported sessions, pinned against the round-robin's order: none lands there by chance.
    const expires_at = Date.now() + 10 * 60_000;
    const records: StickyEntry[] = Array.from({ length: 6 }, (_, i) => ({ key: `imported-${i}`, upstream: 'cookie', server: NAMES[i % 3]!, expires_at }));
    const imp = await send(`http://127.0.0.1:${p.adminPort}`, { method: 'POST', path: '/sessions/import?mode=merge', body: encodeNdjson(records) });
    expect(imp.status, imp.text).toBe(200);
    const imported = records.map((r) => newSession('cookie', r.key, `bulwark_sid=${r.key}`));
    await driveAll(p.url, imported, 6);
    expectStuck(imported);
    for (const [i, s] of imported.entries()) expect(s.servers[0]).toBe(records[i]!.server);
    const served = await pidsBySession(tail, live.length * 3 + imported.length * 6);
    expect(new Set(imported.flatMap((s) => [...served.get(`/cookie/${s.id}`)!]))).toEqual(new Set(workerPids(p)));

    // SIGKILL one worker: the one that comes back starts from the primary's sessions.
    const [victim] = workerPids(p);
    process.kill(victim!, 'SIGKILL');
    await p.waitForLog((l) => l['event'] === 'worker_restarted', 30_000);
    const restarted = workerPids(p).at(-1)!;
    const access = (): Array<Record<string, unknown>> => tail.lines().filter((l) => l['msg'] === 'access');
    const before = access().length;
    const all = [...live, ...imported];
    await driveAll(p.url, all, 6);
    expectStuck(all);
    await waitFor(() => access().length >= before + all.length * 6, 15_000, 'the access lines after the restart');
    expect(access().slice(before).filter((l) => l['pid'] === restarted).length).toBeGreaterThan(0);

    // A changed ttl rebuilds the table in the primary and in each worker: every old session is gone everywhere.
    const processes = [p.child.pid!, ...workerPids(p).filter((pid) => pid !== victim)];
    await saveFile(p.file, groupConfig(urls, ['cookie'], '', ', ttl: 20m'));
    await waitFor(() => processes.every((pid) => tail.lines().some((l) => l['event'] === 'config_reloaded' && l['pid'] === pid)), 15_000, 'the reload in every process');
    expect(await exported(p)).toEqual([]);
    const stale = imported.map((s) => newSession('cookie', s.id, s.cookie));
    await driveAll(p.url, stale, 1);
    for (const s of stale) expect(s.cookie, `${s.id} got a new session cookie`).not.toBe(`bulwark_sid=${s.id}`);
  }, 120_000);

  it("a session in use outlives its ttl in the primary's table, which only the workers' touches refresh", async () => {
    const TTL_MS = 4_000;
    const p = await startGroup(h, groupConfig(await origins(), ['cookie'], '', `, ttl: ${TTL_MS}ms`));
    const s = newSession('cookie', 'busy');
    await drive(p.url, s, 1);
    const pinnedAt = Date.now();
    // Used on fresh connections (both workers) until well past the ttl of its pin.
    while (Date.now() - pinnedAt < 1.5 * TTL_MS) {
      await drive(p.url, s, 1);
      await new Promise((r) => setTimeout(r, 100));
    }
    expectStuck([s]);
    const entry = (await exported(p)).find((e) => e.key === keyOf(s));
    expect(entry?.server).toBe(s.servers[0]);
    expect(entry!.expires_at).toBeGreaterThan(pinnedAt + TTL_MS);
  }, 60_000);
});
