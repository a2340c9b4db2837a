/**
 * @module test/integration/access-log-file.test
 * log.access_file and log.access_format:
 * - the real CLI writes access lines to a file named relative to the config file; logrotate's
 *   way (`mv access.log access.log.1`, then SIGUSR1) while requests keep coming sends later
 *   lines to a new access.log and loses none: every request id is in exactly one file;
 * - the combined format's exact line shape;
 * - a reload switches the format and the file, and a file that cannot be opened rejects it;
 * - a client cannot forge a combined line: quotes and %0a stay in the path field, escaped
 *   (quotes) or as sent (percent escapes), on one line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, tempConfig } from '../helpers/cli.js';
import { simpleConfig } from '../helpers/bulwark.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

/** The lines of a file ("" when it does not exist). */
function lines(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '');
}

const ids = (file: string): string[] => lines(file).map((l) => (JSON.parse(l) as { request_id: string }).request_id);

/** The combined line for a plain proxied GET (the date and duration vary). */
const combined = (path: string, id: string): RegExp =>
  new RegExp(
    `^127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "GET ${path} HTTP/1\\.1" 200 - "-" "-" upstream=web server=web-1 duration_ms=\\d+(\\.\\d{1,3})? request_id=${id} ` +
      'host=127\\.0\\.0\\.1:\\d+ bytes_in=\\d+ bytes_out=\\d+ attempts=1$',
  );

describe('access log file (real CLI)', () => {
  const h = useHarness();
  beforeAll(() => assertBuilt());

  it('reopens access.log on SIGUSR1 after logrotate moved it, losing no line', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const file = await tempConfig(h, simpleConfig([origin.url]).replace('log: { level: info, access: true }', 'log: { level: info, access: true, access_file: access.log }'));
    const cli = CliProcess.spawn(h, file);
    await cli.started(15_000);
    const log = join(dirname(file), 'access.log');
    const sent: string[] = [];
    // Four clients send back to back while the file is moved and the signal sent.
    let running = true;
    const client = async (): Promise<void> => {
      while (running || sent.length < 40) {
        const r = await send(cli.url, { path: '/r' });
        expect(r.status).toBe(200);
        sent.push(r.headers['x-request-id'] as string);
      }
    };
    const clients = [client(), client(), client(), client()];
    await waitFor(() => sent.length >= 40, 20_000, '40 requests');
    await rename(log, `${log}.1`);
    cli.signal('SIGUSR1');
    await cli.waitForLog((l) => l['event'] === 'logs_reopened', 10_000);
    const atSignal = sent.length;
    await waitFor(() => sent.length >= atSignal + 40, 20_000, '40 more requests');
    running = false;
    await Promise.all(clients);
    cli.signal('SIGTERM');
    expect((await cli.waitExit(15_000)).code).toBe(0);
    const before = ids(`${log}.1`);
    const after = ids(log);
    expect(before.length).toBeGreaterThanOrEqual(40);
    expect(after.length).toBeGreaterThanOrEqual(40);
    expect([...before, ...after].sort()).toEqual([...sent].sort());
    // Nothing but access lines went to the file; the other log lines stay on stdout.
    expect(cli.logs().filter((l) => l['msg'] === 'access')).toEqual([]);
  });

  it('survives SIGUSR1 sent while starting (Node would start its inspector) and reopens the file once up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-usr1-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const origin = await h.origin();
    // The config is a FIFO: start-up waits, deterministically, in the middle of reading it.
    const fifo = join(dir, 'bulwark.yaml');
    execFileSync('mkfifo', [fifo]);
    const cli = CliProcess.spawn(h, fifo);
    // SigCgt (proc(5)): the caught signals. `start` handles SIGHUP and SIGUSR1 from the same
    // synchronous step, before it reads the config; SIGHUP is bit 0 (Node itself never catches it).
    const caught = (): bigint => BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${cli.child.pid}/status`, 'utf8'))?.[1] ?? '0'}`);
    await waitFor(() => (caught() & 1n) === 1n, 10_000, 'bulwark to handle signals while it reads its config');
    cli.signal('SIGUSR1');
    await writeFile(fifo, simpleConfig([origin.url]).replace('access: true }', 'access: true, access_file: access.log }'));
    await cli.started(15_000);
    await cli.waitForLog((l) => l['event'] === 'logs_reopened', 10_000);
    expect(cli.child.exitCode).toBeNull();
    expect(cli.stderr).not.toContain('Debugger');
  });

  it('refuses to start when access_file cannot be opened, naming the key and path', async () => {
    const origin = await h.origin();
    const file = await tempConfig(h, simpleConfig([origin.url]).replace('access: true }', 'access: true, access_file: no/such/dir/access.log }'));
    const cli = CliProcess.spawn(h, file);
    expect((await cli.waitExit(15_000)).code).toBe(1);
    expect(cli.stderr).toContain(`log.access_file: cannot open ${join(dirname(file), 'no/such/dir/access.log')} for appending: ENOENT`);
  });
});

describe('access log formats (App)', () => {
  const h = useHarness();

  async function setup(log: string): Promise<{ bw: Awaited<ReturnType<Harness['bulwark']>>; dir: string; yaml: (log: string) => string }> {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-access-'));
    h.defer(() => rm(dir, { recursive: true, force: true }));
    const yaml = (l: string): string => simpleConfig([origin.url]).replace('log: { level: info, access: true }', `log: { level: info, access: true, ${l} }`);
    // Reloads go through the API: the file watcher would race them (and find nothing changed).
    const bw = await h.bulwark(yaml(log.replace('DIR', dir)), { watch: false });
    return { bw, dir, yaml: (l) => yaml(l.replace('DIR', dir)) };
  }

  async function get(bw: { url: string }, path: string): Promise<string> {
    const r = await send(bw.url, { path });
    expect(r.status).toBe(200);
    return r.headers['x-request-id'] as string;
  }

  it('writes the combined shape', async () => {
    const { bw, dir } = await setup('access_format: combined, access_file: DIR/a.log');
    const id = await get(bw, '/x?y=1');
    await bw.app.logging.flush();
    const got = lines(join(dir, 'a.log'));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(combined('/x\\?y=1', id));
  });

  it('switches format and file on reload, and a file that cannot be opened rejects the reload', async () => {
    const { bw, dir, yaml } = await setup('access_file: DIR/a.log');
    const first = await get(bw, '/one');
    await writeFile(bw.configFile, yaml('access_format: combined, access_file: DIR/a.log'));
    expect((await bw.app.reload('api')).result).toBe('applied');
    const second = await get(bw, '/two');
    await writeFile(bw.configFile, yaml('access_format: combined, access_file: DIR/b.log'));
    expect((await bw.app.reload('api')).result).toBe('applied');
    const third = await get(bw, '/three');
    await writeFile(bw.configFile, yaml('access_file: DIR/missing/c.log'));
    const refused = await bw.app.reload('api');
    expect(refused.result).toBe('rejected');
    expect(refused.errors?.join('\n')).toContain(`log.access_file: cannot open ${join(dir, 'missing/c.log')} for appending`);
    const fourth = await get(bw, '/four');
    await bw.app.logging.flush();
    const a = lines(join(dir, 'a.log'));
    expect(a).toHaveLength(2);
    expect(JSON.parse(a[0]!)).toMatchObject({ msg: 'access', path: '/one', request_id: first });
    expect(a[1]).toMatch(combined('/two', second));
    expect(lines(join(dir, 'b.log'))).toEqual([expect.stringMatching(combined('/three', third)), expect.stringMatching(combined('/four', fourth))]);
  });

  it('keeps writing to the open file when SIGUSR1 cannot reopen it', async () => {
    const { bw, dir } = await setup('access_file: DIR/a.log');
    const first = await get(bw, '/one');
    await rename(join(dir, 'a.log'), join(dir, 'a.log.1'));
    // A folder where the file should be: opening it for appending fails (EISDIR), even as root.
    await mkdir(join(dir, 'a.log'));
    bw.app.reopenLogs();
    expect(bw.logs.find((l) => l['event'] === 'logs_reopen_failed')?.['error']).toContain(`cannot open ${join(dir, 'a.log')} for appending: EISDIR`);
    const second = await get(bw, '/two');
    await bw.app.logging.flush();
    expect(ids(join(dir, 'a.log.1'))).toEqual([first, second]);
  });

  it('keeps a forged request on one line, its path escaped', async () => {
    const { bw, dir } = await setup('access_format: combined, access_file: DIR/a.log');
    // What a client would send to end the field or the line early and add its own. Node's
    // parser lets quotes and percent escapes through; it refuses raw control bytes and bytes
    // above 0x7f itself (400, before bulwark sees the request), so the unit test covers those.
    const forged = await h.raw(bw.port);
    expect((await forged.request('GET /a%22%0a"%0d%0A"-/x HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(200);
    await bw.app.logging.flush();
    const got = lines(join(dir, 'a.log'));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "[\x20\x21\x23-\x7e]*" 200 - "-" "-" upstream=web server=web-1 duration_ms=\S+ request_id=\S+ host=x bytes_in=\d+ bytes_out=\d+ attempts=1$/);
    expect(got[0]).toContain('"GET /a%22%0a\\x22%0d%0A\\x22-/x HTTP/1.1" 200 ');
  });
});
