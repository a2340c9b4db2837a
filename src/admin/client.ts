/**
 * @module admin/client
 * The commands' way to a running proxy (`bulwark backup`, its agent, `bulwark check`): its
 * admin API over HTTP. Where it is: `--admin URL`, else BULWARK_ADMIN_URL (set by the supervisor
 * to the bound address), else the config's `admin.listen` with a wildcard host (0.0.0.0,
 * ::) mapped to 127.0.0.1. Every request carries a Host header naming that address (the
 * admin guard wants it) and, when `admin.token_env` is set, the Bearer token from it.
 */
import http from 'node:http';
import { isIPv6 } from 'node:net';
import type { BulwarkConfig } from '../core/config.js';
import { BulwarkError, ErrorCodes } from '../core/errors.js';

export interface AdminTarget {
  /** Origin of the admin API, e.g. "http://127.0.0.1:9901". */
  readonly url: string;
  readonly token: string | undefined;
}

export interface AdminReply {
  readonly status: number;
  readonly text: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The command was used wrongly (BLWK_USAGE: exit status 2 for the backup commands). */
const usageError = (message: string): BulwarkError => new BulwarkError(ErrorCodes.USAGE, message);

/** The admin API's URL for a bound or configured address (wildcards become loopback). */
export function adminUrlFor(host: string, port: number): string {
  const h = WILDCARDS.has(host) ? '127.0.0.1' : host;
  return `http://${isIPv6(h) ? `[${h}]` : h}:${port}`;
}

function checkUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usageError(`${from}: "${raw}" is not a URL (expected e.g. http://127.0.0.1:9901)`);
  }
  if (u.protocol !== 'http:' || (u.pathname !== '/' && u.pathname !== '') || u.search !== '') {
    throw usageError(`${from}: "${raw}" must be an http:// origin without a path (e.g. http://127.0.0.1:9901)`);
  }
  return u.origin;
}

/** Where the admin API is, and its token. Throws a BulwarkError naming what is missing. */
export function resolveAdminTarget(config: BulwarkConfig, opts: { readonly admin?: string; readonly env: NodeJS.ProcessEnv }): AdminTarget {
  let url: string;
  if (opts.admin !== undefined) url = checkUrl(opts.admin, '--admin');
  else if (opts.env['BULWARK_ADMIN_URL']) url = checkUrl(opts.env['BULWARK_ADMIN_URL'], 'BULWARK_ADMIN_URL');
  else {
    const { host, port } = config.admin.listen;
    if (port === 0) throw usageError('admin.listen has port 0 (chosen by the OS at start): pass the admin address with --admin URL');
    url = adminUrlFor(host, port);
  }
  const name = config.admin.token_env;
  const token = name === undefined ? undefined : opts.env[name];
  if (name !== undefined && !token) throw new BulwarkError(ErrorCodes.CONFIG_INVALID, `admin.token_env names ${name}, which is not set or empty: the admin API needs its token`);
  return { url, token };
}

export class AdminClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #host: string;
  /** How long a request may go without progress (socket inactivity), ms. */
  timeoutMs: number;
  /** The setting that chose timeoutMs, named in the timeout's message. */
  readonly #timeoutSetting: string;

  constructor(target: AdminTarget, timeoutMs = 30_000, timeoutSetting = 'timeout') {
    this.url = target.url;
    this.#timeoutSetting = timeoutSetting;
    this.#token = target.token;
    const u = new URL(target.url);
    this.#host = `${u.hostname}:${u.port || '80'}`;
    this.timeoutMs = timeoutMs;
  }

  /** One request; rejects with a message naming the URL when the proxy cannot be reached. */
  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<AdminReply> {
    const headers: http.OutgoingHttpHeaders = { host: this.#host };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = contentType;
    const target = `${this.url}${path}`;
    return new Promise((resolve, reject) => {
      const req = http.request(target, { method, headers, agent: false, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms (${this.#timeoutSetting})`)));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(new BulwarkError(ErrorCodes.ADMIN_UNREACHABLE, `cannot reach the bulwark admin API at ${this.url} (${method} ${path}): ${err.code ?? err.message}; is bulwark running? (--admin URL sets the address)`)),
      );
      req.end(body);
    });
  }

  /** A request that must answer 2xx; returns the body text. */
  async expectOk(method: string, path: string, body?: string, contentType?: string): Promise<string> {
    const r = await this.request(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) {
      throw new BulwarkError(ErrorCodes.ADMIN_ERROR, `admin API ${method} ${this.url}${path} answered ${r.status}: ${errorText(r.text)}`);
    }
    return r.text;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return JSON.parse(await this.expectOk(method, path, body === undefined ? undefined : JSON.stringify(body))) as T;
  }

  /** The running config: its text, version and file. */
  config(): Promise<{ version: number; text: string; file: string }> {
    return this.json('GET', '/config');
  }

  /** The running config's version (from /status). */
  async version(): Promise<number> {
    return (await this.json<{ config: { version: number } }>('GET', '/status')).config.version;
  }

  exportSessions(): Promise<string> {
    return this.expectOk('GET', '/sessions/export');
  }

  importSessions(ndjson: string, mode: 'merge' | 'replace'): Promise<AdminReply> {
    return this.request('POST', `/sessions/import?mode=${mode}`, ndjson, 'application/x-ndjson');
  }

  /** GET /fleet/snapshot: 200 from the fleet's leader, 409 from any other node. */
  fleetSnapshot(): Promise<AdminReply> {
    return this.request('GET', '/fleet/snapshot');
  }

  /** POST /fleet/config: the YAML text, named `file` in the issues a 400 lists. */
  fleetConfig(text: string, file: string): Promise<AdminReply> {
    return this.request('POST', `/fleet/config?file=${encodeURIComponent(file)}`, text, 'application/yaml');
  }

  reload(): Promise<AdminReply> {
    return this.request('POST', '/reload');
  }

  async report(report: Record<string, unknown>): Promise<void> {
    await this.expectOk('POST', '/backup/report', JSON.stringify(report));
  }
}

/** The `error` of a JSON error body (plus its details), or the text as it is. */
export function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown; details?: unknown };
    if (typeof v.error === 'string') return Array.isArray(v.details) ? `${v.error}\n  ${v.details.join('\n  ')}` : v.error;
  } catch {
    // not JSON
  }
  return text.trim();
}
