/**
 * @module test/integration/reload-oversized.test
 * A wrong file saved over the running config (issue 12 item 17: a 5 MB file stalled the
 * proxy for 6.6 s, wrote one 28 MB log line, and RSS went from 72 to 526 MB). The real
 * `bulwark start` (dist/) serves a timed request loop (in a child process, so the test's own
 * pauses don't count) while three files are saved over its config in turn:
 * - 5 MiB of YAML: refused unread, the error naming the file and the 1 MiB cap;
 * - just under 1 MiB of unknown keys (valid YAML, ~90k errors; seconds of parsing): parsed in
 *   the worker thread, reported as the first 50 errors and "and N more";
 * - 40 nested flow sequences: "nesting deeper than 32 levels" at its file:line:col.
 * Each is rejected, the old config keeps serving, the log line stays small, and the loop's
 * slowest request while the file was read and rejected stays under STALL_BOUND_MS, a bound
 * generous for a loaded 2-core machine (the slowest requests measured are printed). Then a
 * valid file is applied through the same worker. `bulwark validate` and `bulwark start`
 * refuse the oversized and the deep file with the same errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, REPO_ROOT, runCli, tempConfig } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor, withTimeout } from '../helpers/net.js';
import { webConfig } from '../helpers/reload.js';

/** The slowest request allowed while a rejected file is read and parsed (in-thread parsing took seconds). */
const STALL_BOUND_MS = 1000;
const MIB = 1024 * 1024;

/** Unknown top-level keys, one a line, up to `bytes` bytes: valid YAML, one error each. */
function unknownKeys(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `key_${String(i).padStart(7, '0')}: value\n`;
    if (size + line.length > bytes) break;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

/** `bytes` bytes exactly: unknown keys, then a comment filling the rest. */
function exactly(bytes: number): string {
  const keys = unknownKeys(bytes - 100);
  return `${keys}#${'x'.repeat(bytes - keys.length - 2)}\n`;
}

/** A config whose upstream has 40 nested flow sequences on line 3. */
function tooDeep(valid: string): string {
  return valid.replace('upstreams:\n', `upstreams:\n  deep: ${'['.repeat(40)}${']'.repeat(40)}\n`);
}

function rssMiB(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return Math.round(kb / 1024);
}

interface Sample {
  readonly start: number;
  readonly ms: number;
  readonly status: number;
}

/** test/helpers/request-loop.mjs in a child process, its samples collected here. */
class RequestLoop {
  readonly samples: Sample[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  constructor(url: string) {
    this.#child = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/request-loop.mjs'), url], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#exited = new Promise((r) => this.#child.once('close', () => r()));
    let rest = '';
    this.#child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const l of lines) this.samples.push(JSON.parse(l) as Sample);
    });
  }

  /** The slowest request that overlapped [from, to] (epoch ms), how many did, and how many failed. */
  slowest(from: number, to: number): { ms: number; n: number; failed: number } {
    const inside = this.samples.filter((s) => s.start + s.ms >= from && s.start <= to);
    return { ms: Math.round(Math.max(0, ...inside.map((s) => s.ms))), n: inside.length, failed: inside.filter((s) => s.status !== 200).length };
  }

  /** Ends the loop after its request in flight (SIGKILL if it does not exit). */
  async stop(): Promise<void> {
    this.#child.stdin!.end();
    await withTimeout(this.#exited, 10_000, 'the request loop to exit').catch(() => this.#child.kill('SIGKILL'));
    await this.#exited;
  }
}

const now = (): number => performance.timeOrigin + performance.now();

describe('a huge, junk or too deep file saved over the running config', () => {
  const h = useHarness();

  beforeAll(() => assertBuilt());

  it('is rejected with a bounded report, without stalling traffic', { timeout: 120_000 }, async () => {
    const a = await h.origin((_req, res) => res.end('a'));
    const b = await h.origin((_req, res) => res.end('b'));
    const valid = (url: string): string => webConfig([{ name: 'x', url }], { access: false });
    const bw = await CliProcess.start(h, valid(a.url));
    const loop = new RequestLoop(bw.url);
    h.defer(() => loop.stop());
    const measured: string[] = [];
    // Warm up (the first requests open connections and compile), then a quiet baseline.
    await waitFor(() => loop.samples.length >= 50, 10_000, '50 requests');
    const quiet = now();
    await new Promise((res) => setTimeout(res, 500));
    const base = loop.slowest(quiet, now());
    measured.push(`no reload: ${base.n} requests in 500 ms, slowest ${base.ms} ms`);
    const rss0 = rssMiB(bw.child.pid!);

    const reject = async (what: string, text: string): Promise<Record<string, unknown>> => {
      const seen = bw.logs().filter((l) => l['event'] === 'config_rejected').length;
      // Written aside first, then copied over the config in place (the copy runs off the
      // test's thread): the origin shares this process, and building a 5 MiB write here
      // would delay it, which would count against bulwark.
      const aside = `${bw.file}.aside`;
      await writeFile(aside, text);
      await new Promise((res) => setTimeout(res, 200));
      const from = now();
      await copyFile(aside, bw.file);
      await bw.waitForLog(() => bw.logs().filter((l) => l['event'] === 'config_rejected').length > seen, 90_000);
      const to = now();
      await new Promise((res) => setTimeout(res, 50)); // let a request stalled behind it finish
      const slowest = loop.slowest(from, to);
      measured.push(`${what}: ${slowest.n} requests in ${Math.round(to - from)} ms, slowest ${slowest.ms} ms`);
      expect({ what, n: slowest.n > 0, failed: slowest.failed }).toEqual({ what, n: true, failed: 0 });
      expect(slowest.ms, what).toBeLessThan(STALL_BOUND_MS);
      return bw.logs().filter((l) => l['event'] === 'config_rejected')[seen]!;
    };

    const huge = unknownKeys(5 * MIB);
    let line = await reject('5 MiB file', huge);
    expect(line['errors']).toEqual([`${bw.file}: config file is ${huge.length} bytes, over the 1048576 byte (1 MiB) limit; not parsed`]);

    const junk = unknownKeys(MIB - 64);
    line = await reject('1 MiB of unknown keys', junk);
    const errors = line['errors'] as string[];
    const keys = junk.split('\n').length - 1;
    expect(errors).toHaveLength(51);
    expect(errors[0]).toMatch(new RegExp(`^${bw.file}:1:1: key_0000000: unknown key "key_0000000"`));
    expect(errors[50]).toBe(`${bw.file}: and ${keys + 2 - 50} more errors (only the first 50 are reported)`); // + upstreams and routes are required

    line = await reject('40 nested sequences', tooDeep(valid(b.url)));
    expect(line['errors']).toEqual([`${bw.file}:5:39: nesting deeper than 32 levels (collections inside collections); the file was not parsed further`]);

    // Every log line stays small; the old config served throughout.
    for (const l of bw.stdout.split('\n')) expect(l.length).toBeLessThan(64 * 1024);
    expect(b.requests).toHaveLength(0);
    const rss1 = rssMiB(bw.child.pid!);
    measured.push(`RSS ${rss0} MiB before, ${rss1} MiB after the three rejections`);
    expect(rss1 - rss0).toBeLessThan(200);

    // A valid file still applies (through the same worker): b answers.
    await writeFile(bw.file, valid(b.url));
    await bw.waitForLog((l) => l['event'] === 'config_reloaded', 30_000);
    await loop.stop();
    expect((await send(bw.url)).text).toBe('b');
    console.log(`reload-oversized: ${measured.join('; ')}`);
  });

  it("the built worker's result is the in-thread parse's (the config survives structured cloning)", { timeout: 60_000 }, async () => {
    type Load = typeof import('../../src/config/load.js');
    const built = (await import(pathToFileURL(join(REPO_ROOT, 'dist/config/load.js')).href)) as Load;
    const texts = {
      bulwark: readFileSync(join(REPO_ROOT, 'conf/bulwark.yaml'), 'utf8'),
      demo: readFileSync(join(REPO_ROOT, 'conf/demo.yaml'), 'utf8'),
      junk: unknownKeys(100_000),
      deep: tooDeep(webConfig([{ name: 'x', url: 'http://127.0.0.1:1' }])),
    };
    for (const [name, text] of Object.entries(texts)) {
      const inThread = built.parseConfig(text, name);
      expect(await built.parseConfigOffThread(text, name)).toStrictEqual(inThread);
      expect({ name, valid: inThread.config !== undefined }).toEqual({ name, valid: name === 'bulwark' || name === 'demo' });
    }
  });

  it('`bulwark validate` and `bulwark start` refuse a file over 1 MiB and one nested too deep; validate lists 50 errors and counts all', { timeout: 60_000 }, async () => {
    const big = await tempConfig(h, exactly(MIB + 1));
    for (const cmd of ['validate', 'start']) {
      const r = await runCli([cmd, '-c', big], 30_000);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 1 });
      expect(r.stderr).toContain(`${big}: config file is ${MIB + 1} bytes, over the 1048576 byte (1 MiB) limit; not parsed`);
    }
    const junkText = unknownKeys(200_000);
    const junk = await tempConfig(h, junkText);
    const v = await runCli(['validate', '-c', junk], 30_000);
    const total = junkText.split('\n').length - 1 + 2; // + upstreams and routes are required
    expect(v.stderr.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l))).toHaveLength(50);
    expect(v.stderr).toContain(`${junk}: and ${total - 50} more errors (only the first 50 are reported)\n${junk}: ${total} errors\n`);
    const deep = await tempConfig(h, tooDeep(webConfig([{ name: 'x', url: 'http://127.0.0.1:1' }])));
    for (const cmd of ['validate', 'start']) {
      const r = await runCli([cmd, '-c', deep], 30_000);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 1 });
      expect(r.stderr).toContain(`${deep}:5:39: nesting deeper than 32 levels`);
      expect(r.stderr).not.toMatch(/call stack/);
    }
  });
});
