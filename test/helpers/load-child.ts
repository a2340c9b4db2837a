/**
 * @module test/helpers/load-child
 * Load generators in a child process (load-child.mjs), tracked by the Harness: the test's
 * own event loop, which also runs bulwark and its health-check timers, then only serves
 * the requests. `autocannonChild` resolves with autocannon's result; `startLoadChild` is
 * `startLoad` (helpers/fault) out of process: records stream in as requests finish.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import type { Load, LoadRecord } from './fault.js';
import type { Harness } from './harness.js';

type Result = Awaited<ReturnType<typeof autocannon>>;

const SCRIPT = fileURLToPath(new URL('./load-child.mjs', import.meta.url));

function startChild(h: Harness, mode: string, opts: object, onLine: (line: string) => void): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, LOAD_MODE: mode, LOAD_OPTS: JSON.stringify(opts) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`load child (${mode}) exited with ${code ?? signal}`))));
  });
  exited.catch(() => {}); // awaited by the caller; cleanup must not see an unhandled rejection
  h.defer(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      return exited.catch(() => {});
    }
  });
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return { child, exited };
}

/** Runs autocannon with `opts` in a child process; resolves with its result. */
export async function autocannonChild(h: Harness, opts: { url: string; connections: number; duration: number }): Promise<Result> {
  let result: Result | undefined;
  const { exited } = startChild(h, 'autocannon', opts, (line) => (result = JSON.parse(line) as Result));
  await exited;
  if (result === undefined) throw new Error('autocannon child printed no result');
  return result;
}

/** `concurrency` request loops on `url` in a child process, until stop(). */
export function startLoadChild(h: Harness, url: string, concurrency: number, path = '/'): Load {
  const records: LoadRecord[] = [];
  const { child, exited } = startChild(h, 'loop', { url, concurrency, path }, (line) => records.push(JSON.parse(line) as LoadRecord));
  return {
    records,
    stop: async () => {
      child.stdin!.end();
      await exited;
      return records;
    },
  };
}
