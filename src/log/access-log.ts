/**
 * @module log/access-log
 * Where access lines go and in which format (log.access_format, log.access_file). On stdout
 * they share the batching writer of the other log lines; a file gets a LineWriter of its
 * own, opened for appending. `reopen()` is logrotate's SIGUSR1: lines written before it go
 * to the file that was open (and are all written out to it), lines after it to a file
 * newly opened at the configured path, so a rotation loses none.
 */
import fs from 'node:fs';
import type { AccessFormat } from '../core/config.js';
import type { AccessRecord } from '../proxy/access-record.js';
import { AccessLineWriter, accessLineBound, accessLineText } from './access-line.js';
import { CombinedLineWriter, combinedLineBound, combinedLineText } from './access-combined.js';
import { LineWriter } from './line-writer.js';

export interface AccessSettings {
  readonly access_format: AccessFormat;
  /** Absolute path; undefined: the shared (stdout) destination. */
  readonly access_file: string | undefined;
}

/** A text destination (a pino stream, or a LineWriter). */
export interface TextStream {
  write(text: string): unknown;
}

/**
 * The access-log sink for one destination: each line goes straight into `writer`'s batch
 * buffer when it can, else to `stream` as text; both give the same bytes. Without a writer
 * every line goes to `stream` as text.
 */
export function accessSink(writer: LineWriter | undefined, stream: TextStream, format: AccessFormat = 'json', pid = process.pid): (r: AccessRecord) => void {
  if (format === 'combined') {
    const lines = new CombinedLineWriter();
    return (r) => {
      if (writer !== undefined && writer.writeWith(combinedLineBound(r), lines.write, r)) return;
      stream.write(combinedLineText(lines, r));
    };
  }
  const lines = new AccessLineWriter(pid);
  return (r) => {
    if (writer !== undefined && writer.writeWith(accessLineBound(r), lines.write, r)) return;
    stream.write(accessLineText(r, pid));
  };
}

/** The file being written: its path, fd and writer. */
interface OpenFile {
  readonly path: string;
  readonly fd: number;
  readonly writer: LineWriter;
}

/** Opens `path` for appending, creating it (0644 less the umask) if missing. Throws a message naming it. */
function openFd(path: string): number {
  try {
    return fs.openSync(path, 'a', 0o644);
  } catch (err) {
    throw new Error(`log.access_file: cannot open ${path} for appending: ${(err as Error).message}`);
  }
}

function openFile(path: string): OpenFile {
  const fd = openFd(path);
  return { path, fd, writer: new LineWriter({ fd }) };
}

/** Throws (see openFd) unless `path` can be opened for appending; leaves it created. For a reload's check. */
export function checkAccessFile(path: string): void {
  fs.closeSync(openFd(path));
}

/** Writes out what `f` holds, then closes it. */
async function closeFile(f: OpenFile): Promise<void> {
  f.writer.close();
  await f.writer.flush();
  fs.closeSync(f.fd);
}

export class AccessLog {
  #settings: AccessSettings = { access_format: 'json', access_file: undefined };
  #file: OpenFile | undefined;
  #sink: (r: AccessRecord) => void;
  /** Files being written out and closed (after a switch or a reopen). */
  readonly #closing = new Set<Promise<void>>();

  /** `shared`: the destination of the other log lines (stdout's writer, or a given stream). */
  constructor(private readonly shared: { readonly writer: LineWriter | undefined; readonly stream: TextStream }) {
    this.#sink = accessSink(shared.writer, shared.stream);
  }

  /**
   * Writes one access line: the proxy's onAccess. It changes with `configure` and `reopen`,
   * so whoever holds it takes it again after either (one call less per line than a
   * forwarding function, on the hottest path there is).
   */
  get sink(): (r: AccessRecord) => void {
    return this.#sink;
  }

  /** Follows `s`: opens the new file (throws, changing nothing, if it cannot) and closes the old one. */
  configure(s: AccessSettings): void {
    if (s.access_format === this.#settings.access_format && s.access_file === this.#settings.access_file) return;
    const file = s.access_file === this.#file?.path ? this.#file : s.access_file === undefined ? undefined : openFile(s.access_file);
    this.#switchTo(file, s);
  }

  /** Reopens the file at its path (logrotate's SIGUSR1). Throws, keeping the old one, if it cannot. */
  reopen(): void {
    if (this.#file !== undefined) this.#switchTo(openFile(this.#file.path), this.#settings);
  }

  /** Resolves once every line so far is written out. */
  async flush(): Promise<void> {
    await Promise.all([...this.#closing, this.#file?.writer.flush()]);
  }

  flushSync(): void {
    this.#file?.writer.flushSync();
  }

  /** Writes out and closes the file; later lines go to the shared destination. */
  async close(): Promise<void> {
    this.#switchTo(undefined, { ...this.#settings, access_file: undefined });
    await this.flush();
  }

  #switchTo(file: OpenFile | undefined, s: AccessSettings): void {
    const old = this.#file;
    this.#file = file;
    this.#settings = s;
    this.#sink = file === undefined ? accessSink(this.shared.writer, this.shared.stream, s.access_format) : accessSink(file.writer, file.writer, s.access_format);
    if (old !== undefined && old !== file) {
      // A close that fails (EIO) has nothing left to save; logging never takes bulwark down.
      const done = closeFile(old).catch(() => undefined).finally(() => this.#closing.delete(done));
      this.#closing.add(done);
    }
  }
}
