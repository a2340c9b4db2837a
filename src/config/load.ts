/**
 * @module config/load
 * The entry points: text or a file in, a validated BulwarkConfig or every issue out.
 * parseConfig never throws, so `bulwark validate` and hot reload can show the problems;
 * loadConfigFile throws one ConfigError carrying them, for startup.
 * Limits, so a wrong file saved over a running config (a log, a dump, junk) costs little:
 * files over MAX_CONFIG_BYTES are refused before parsing, nesting is capped (config/yaml),
 * at most MAX_REPORTED_ISSUES issues are reported (each clipped), and hot reload parses in
 * a worker thread with its own heap limit (parseConfigOffThread): parsing a 1 MiB file takes
 * seconds, and in the proxy's thread that stalled every request that long.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SCHEDULER_NAMES, type BulwarkConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { ConfigIssue } from '../core/errors.js';
import { Checker } from './validate-context.js';
import { validateConfig } from './validate.js';
import { parseYaml } from './yaml.js';

export interface ParseResult {
  /** Present exactly when `issues` is empty. */
  readonly config: BulwarkConfig | undefined;
  /** The problems found, in file order: the first MAX_REPORTED_ISSUES, then one counting the rest. */
  readonly issues: ConfigIssue[];
  /** What is worth saying but leaves the config usable (a certificate expiring within 14 days). */
  readonly warnings: ConfigIssue[];
}

/** The largest config file read (1 MiB; the example conf/bulwark.yaml is under 10 KiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Issues reported per file; the rest are counted in one last issue. */
export const MAX_REPORTED_ISSUES = 50;
/** Longest key path or rule in a reported issue (a 1 MiB key would make a 1 MiB log line). */
const MAX_FIELD = 1000;
/** The parse worker's heap and time limits (hot reload). */
const WORKER_HEAP_MB = 256;
const WORKER_TIMEOUT_MS = 30_000;

const MORE = /^and (\d+) more errors? \(only the first \d+ are reported\)$/;

/** How many errors `issues` (as reported) stand for: those listed plus those the last one counts. */
export function issueTotal(issues: readonly ConfigIssue[]): number {
  const more = MORE.exec(issues[issues.length - 1]?.rule ?? '');
  return more === null ? issues.length : issues.length - 1 + Number(more[1]);
}

const byPosition = (a: ConfigIssue, b: ConfigIssue): number => a.line - b.line || a.column - b.column;

/** Keeps both ends: a rule names the key first and ends with its "did you mean" suggestion. */
const clip = (s: string): string => (s.length <= MAX_FIELD ? s : `${s.slice(0, 600)}… (${s.length - 800} characters cut) …${s.slice(-200)}`);

/** The first MAX_REPORTED_ISSUES issues (in file order), clipped, and one saying how many more there were. */
function reported(issues: ConfigIssue[], file: string): ConfigIssue[] {
  const sorted = issues.sort(byPosition);
  const shown = sorted.slice(0, MAX_REPORTED_ISSUES).map((i) => ({ ...i, path: clip(i.path), rule: clip(i.rule) }));
  if (sorted.length <= MAX_REPORTED_ISSUES) return shown;
  const more = sorted.length - MAX_REPORTED_ISSUES;
  return [...shown, { file, line: 0, column: 0, path: '', rule: `and ${more} more error${more === 1 ? '' : 's'} (only the first ${MAX_REPORTED_ISSUES} are reported)` }];
}

/**
 * Parses and validates config text. `file` is only used in the issues. A YAML syntax error
 * stops there (the tree behind it is not worth checking); otherwise every rule is checked.
 * Synchronous: for a running proxy use parseConfigOffThread.
 */
export interface ParseOptions {
  /** Names of an embedder's own schedulers, allowed as `scheduler:` besides the built-in ones. */
  readonly schedulers?: readonly string[];
}

export function parseConfig(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const { source, errors, warnings } = parseYaml(text, file);
  if (errors.length > 0) return { config: undefined, issues: reported(errors, file), warnings: [] };
  const checker = new Checker(source, [...SCHEDULER_NAMES, ...(opts.schedulers ?? [])]);
  checker.issues.push(...warnings);
  const config = validateConfig(checker, source.doc.contents);
  const issues = reported(checker.issues, file);
  return { config: issues.length === 0 ? config : undefined, issues, warnings: reported(checker.warnings, file) };
}

const fileIssue = (file: string, rule: string): { issue: ConfigIssue } => ({ issue: { file, line: 0, column: 0, path: '', rule } });
const tooLarge = (file: string, size: string): { issue: ConfigIssue } =>
  fileIssue(file, `config file is ${size}, over the ${MAX_CONFIG_BYTES} byte (1 MiB) limit; not parsed`);

/** The file's text, read only when it is at most MAX_CONFIG_BYTES (also if it grows while read). */
async function readText(file: string): Promise<{ text: string } | { issue: ConfigIssue }> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > MAX_CONFIG_BYTES) return tooLarge(file, `${size} bytes`);
      const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let n = 0;
      // Sequential reads (position null): a FIFO or /dev/stdin can't seek, and works too.
      for (let got = -1; got !== 0 && n < buf.length; n += got) got = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
      if (n > MAX_CONFIG_BYTES) return tooLarge(file, 'larger than that (it grew while read)');
      return { text: buf.toString('utf8', 0, n) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return fileIssue(file, `cannot read file: ${code}`);
  }
}

/** The parse worker beside this module (dist/config/parse-worker.js); absent when running from the sources. */
const WORKER = new URL('./parse-worker.js', import.meta.url);
let workerBuilt: boolean | undefined;

/**
 * parseConfig in a worker thread, so the caller's event loop (the proxy's) never waits for
 * it. The worker has its own heap limit and a deadline; either ends it with one issue.
 * Running from the TypeScript sources (tests in-process) there is no worker script, and
 * the parse runs in this thread.
 */
export function parseConfigOffThread(text: string, file: string, opts: ParseOptions = {}): Promise<ParseResult> {
  workerBuilt ??= existsSync(fileURLToPath(WORKER));
  if (!workerBuilt) return Promise.resolve(parseConfig(text, file, opts));
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, { workerData: { text, file, opts }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    const timer = setTimeout(() => done(`parsing took longer than ${WORKER_TIMEOUT_MS / 1000} s; not applied`), WORKER_TIMEOUT_MS);
    let settled = false;
    function done(result: ParseResult | string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(typeof result === 'string' ? { config: undefined, issues: [fileIssue(file, result).issue], warnings: [] } : result);
    }
    worker.unref(); // a reload under way never keeps the process alive
    worker.once('message', (r: ParseResult) => done(r));
    worker.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `parsing needed more than ${WORKER_HEAP_MB} MiB of memory; not applied` : `the config parser failed: ${err.message}`),
    );
    worker.once('exit', (code) => done(`the config parser exited (code ${code}) without a result`));
  });
}

export interface LoadOptions extends ParseOptions {
  /** Parse in a worker thread (parseConfigOffThread): for hot reload, beside live traffic. */
  readonly offThread?: boolean;
}

/** Reads and validates a config file; throws a ConfigError listing the issues. */
export async function loadConfigFile(file: string, opts: LoadOptions = {}): Promise<{ config: BulwarkConfig; text: string; warnings: ConfigIssue[] }> {
  const read = await readText(file);
  if ('issue' in read) throw new ConfigError([read.issue]);
  const { config, issues, warnings } = opts.offThread === true ? await parseConfigOffThread(read.text, file, opts) : parseConfig(read.text, file, opts);
  if (!config) throw new ConfigError(issues);
  return { config, text: read.text, warnings };
}

/** Every issue in a config file; [] when it is valid. Never throws. */
export async function validateConfigFile(file: string): Promise<ConfigIssue[]> {
  return (await checkConfigFile(file)).issues;
}

/** Every issue and warning in a config file (`bulwark validate`). Never throws. */
export async function checkConfigFile(file: string): Promise<{ issues: ConfigIssue[]; warnings: ConfigIssue[] }> {
  const read = await readText(file);
  return 'issue' in read ? { issues: [read.issue], warnings: [] } : parseConfig(read.text, file);
}
