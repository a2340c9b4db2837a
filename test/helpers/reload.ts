/**
 * @module test/helpers/reload
 * Shared pieces of the hot-reload and admin API integration tests (reload-*, admin-api*):
 * - `startApp`: bulwark in-process on a real temp config file, with App.start's `watch` and
 *   `env` options, logs captured as parsed JSON lines, and `save` to rewrite the file the
 *   way editors do (in place, or a temp file renamed over it);
 * - `webConfig`: YAML text for upstream "web" over named servers (flow-style server lines,
 *   so a file cut mid-line is invalid YAML);
 * - `holdOrigins`: origins answering their own name; a request for `/hold...` gets its head
 *   and the first KiB of a 64 KiB body, the rest only when the test calls `release()`;
 * - the /status document with its `config` section, and polling it (`waitStatus`,
 *   `waitVersion`) instead of sleeping; `adminPost`; `tally` (who answered N requests).
 * Everything is tracked by the caller's Harness and closed after the test.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { App } from '../../src/runtime/app.js';
import type { Clock } from '../../src/core/clock.js';
import type { StatusServer } from './fault.js';
import type { Harness } from './harness.js';
import type { Origin } from './origin.js';
import { send, type Reply } from './net.js';

export { sleep } from './fault.js';

export type SaveMode = 'write' | 'rename';

export interface ReloadBulwark {
  readonly app: App;
  readonly configFile: string;
  /** "http://127.0.0.1:PORT" of the first proxy listener as started. */
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly adminPort: number;
  readonly logs: Array<Record<string, unknown>>;
  /** Rewrites the config file: `write` in place, or `rename` a temp file over it. */
  save(yaml: string, how?: SaveMode): Promise<void>;
  /** The log lines whose `event` is `event`. */
  events(event: string): Array<Record<string, unknown>>;
}

let saves = 0;

/** Writes `text` to `file` in place, or to a temp file in the same folder renamed over it. */
export async function saveFile(file: string, text: string, how: SaveMode = 'write'): Promise<void> {
  if (how === 'write') return writeFile(file, text);
  const tmp = `${file}.${process.pid}-${++saves}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export interface StartOptions {
  /** Watch the config file (default true, as the CLI does). */
  readonly watch?: boolean;
  /** The environment admin.token_env is read from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Process and Node metrics on /metrics (default false: they outlive the App). */
  readonly processMetrics?: boolean;
  /** The App's clock (default the system's). */
  readonly clock?: Clock;
}

/** Starts bulwark in-process on `yaml` written to a fresh temp folder; stopped after the test. */
export async function startApp(h: Harness, yaml: string, opts: StartOptions = {}): Promise<ReloadBulwark> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-reload-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'bulwark.yaml');
  await writeFile(configFile, yaml);
  const logs: Array<Record<string, unknown>> = [];
  const logDestination = {
    write: (chunk: string): void => void logs.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)),
  };
  const app = await App.start({ configFile, logDestination, watch: opts.watch, env: opts.env, processMetrics: opts.processMetrics ?? false, clock: opts.clock });
  h.defer(() => app.stop(200));
  const port = app.addresses[0]!.port;
  const adminPort = app.adminAddress!.port;
  return {
    app,
    configFile,
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    adminPort,
    logs,
    save: (text, how) => saveFile(configFile, text, how),
    events: (event) => logs.filter((l) => l['event'] === event),
  };
}

export interface ServerEntry {
  readonly name: string;
  readonly url: string;
  readonly weight?: number;
}

export interface WebOptions {
  readonly scheduler?: string;
  /** `listen` value (default 127.0.0.1:0). */
  readonly listen?: string;
  /** The `admin` block as a flow mapping body (default `listen: 127.0.0.1:0`). */
  readonly admin?: string;
  /** Lines of a `front` block (indented by the caller), if any. */
  readonly front?: readonly string[];
  /** More lines of upstream "web" (indented by the caller), e.g. `    connections: 8`. */
  readonly upstream?: readonly string[];
  readonly access?: boolean;
}

/** YAML for upstream "web" (one flow-style line per server) behind a catch-all route. */
export function webConfig(servers: readonly ServerEntry[], o: WebOptions = {}): string {
  return [
    `listen: ${o.listen ?? '127.0.0.1:0'}`,
    `admin: { ${o.admin ?? 'listen: 127.0.0.1:0'} }`,
    `log: { level: info, access: ${o.access ?? true} }`,
    ...(o.front === undefined ? [] : ['front:', ...o.front]),
    'upstreams:',
    '  web:',
    `    scheduler: ${o.scheduler ?? 'round-robin'}`,
    ...(o.upstream ?? []),
    '    servers:',
    ...servers.map((s) => `      - { name: ${s.name}, url: "${s.url}"${s.weight === undefined ? '' : `, weight: ${s.weight}`} }`),
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n');
}

export const HOLD_PATH = '/hold';

/** The body a hold origin sends for a held request: its name, then 64 KiB. */
export function holdBody(name: string): string {
  return `${name}:${'x'.repeat(64 * 1024)}`;
}

export interface HoldOrigin extends Origin {
  readonly name: string;
  /** Requests held right now. */
  held(): number;
  /** Sends the rest of every held response. */
  release(): void;
  /** Requests seen, /hold ones included. */
  seen(): number;
}

function holdHandler(name: string, waiting: Array<() => void>): http.RequestListener {
  return (req, res) => {
    res.setHeader('x-origin', name);
    if (!(req.url ?? '').startsWith(HOLD_PATH)) return void res.end(name);
    const body = Buffer.from(holdBody(name));
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.write(body.subarray(0, 1024));
    waiting.push(() => res.end(body.subarray(1024)));
  };
}

/** One hold origin per name, in order; closed after the test. */
export function holdOrigins(h: Harness, names: readonly string[]): Promise<HoldOrigin[]> {
  return Promise.all(
    names.map(async (name) => {
      const waiting: Array<() => void> = [];
      const o = await h.origin(holdHandler(name, waiting));
      return {
        ...o,
        name,
        held: () => waiting.length,
        release: () => waiting.splice(0).forEach((end) => end()),
        seen: () => o.requests.length,
      };
    }),
  );
}

/** The servers of origins, as config entries (name and URL; weights from `weights`). */
export function entries(origins: readonly HoldOrigin[], weights: Record<string, number> = {}): ServerEntry[] {
  return origins.map((o) => ({ name: o.name, url: o.url, weight: weights[o.name] }));
}

export interface ConfigSection {
  version: number;
  loaded_at: string;
  file: string;
  last_error: { at: string; trigger: string; errors: string[] } | null;
  needs_restart: string[];
}

export interface ReloadStatusServer extends StatusServer {
  url: string;
  override: { state?: 'drain' | 'disable'; weight?: number } | null;
}

export interface StatusDoc {
  config: ConfigSection;
  upstreams: Array<{ name: string; scheduler: string; servers: ReloadStatusServer[] }>;
}

/** GET /status (with `headers`, e.g. a token); throws unless 200. */
export async function getStatus(adminUrl: string, headers: http.OutgoingHttpHeaders = {}): Promise<StatusDoc> {
  const r = await send(adminUrl, { path: '/status', headers });
  if (r.status !== 200) throw new Error(`/status answered ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as StatusDoc;
}

/** The servers of upstream "web" in a /status document, by name. */
export function webServers(doc: StatusDoc): Record<string, ReloadStatusServer> {
  return Object.fromEntries(doc.upstreams.find((u) => u.name === 'web')!.servers.map((s) => [s.name, s]));
}

/** Polls /status every 20 ms until `pred` holds (a hang guard of `timeoutMs`, not a timing assertion). */
export async function waitStatus(adminUrl: string, pred: (d: StatusDoc) => boolean, what: string, timeoutMs = 10_000): Promise<StatusDoc> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusDoc | undefined;
  for (;;) {
    last = await getStatus(adminUrl);
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last /status config: ${JSON.stringify(last.config)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until /status shows config version `v` or later. */
export function waitVersion(adminUrl: string, v: number, timeoutMs?: number): Promise<StatusDoc> {
  return waitStatus(adminUrl, (d) => d.config.version >= v, `config version ${v}`, timeoutMs);
}

/** Waits until /status shows a reload error (one recorded after `after`, an ISO time, if given). */
export function waitRejected(adminUrl: string, after = ''): Promise<StatusDoc> {
  return waitStatus(adminUrl, (d) => d.config.last_error !== null && d.config.last_error.at > after, 'a rejected reload');
}

/** POST `path` on the admin listener, with `body` as JSON when given. */
export function adminPost(adminUrl: string, path: string, body?: unknown, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return send(adminUrl, {
    method: 'POST',
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Sends `n` GET requests one after another over one keep-alive connection; counts answers by body. */
export async function tally(url: string, n: number, path = '/'): Promise<Record<string, number>> {
  const client = new Client(url);
  try {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await client.request({ path, method: 'GET' });
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`request ${i + 1} of ${n} answered ${r.statusCode}: ${text}`);
      counts[text] = (counts[text] ?? 0) + 1;
    }
    return counts;
  } finally {
    await client.destroy();
  }
}
