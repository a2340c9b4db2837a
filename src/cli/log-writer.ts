/**
 * @module cli/log-writer
 * A batching line writer for stdout (or any fd). Under load bulwark logs one access line
 * per request, and a syscall per line would cost more than the proxying itself; so lines
 * are appended to a string and written in batches of ≥64 KiB, or every `flushMs` when
 * traffic is light. Writes are asynchronous (off the event loop), one at a time, and
 * handle short writes and EAGAIN (stdout may be a non-blocking pipe).
 *
 * If the reader cannot keep up and more than `maxBuffered` bytes pile up, new lines are
 * dropped and counted rather than growing memory without bound (HAProxy's choice for
 * its log buffer); the count is reported in-band once writing catches up.
 */
import fs from 'node:fs';

export interface LineWriterOptions {
  readonly fd?: number;
  readonly batchBytes?: number;
  readonly flushMs?: number;
  readonly maxBuffered?: number;
}

export class LineWriter {
  readonly #fd: number;
  readonly #batch: number;
  readonly #max: number;
  #buf = '';
  #writing = false;
  #dropped = 0;
  #idle: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout;

  constructor(opts: LineWriterOptions = {}) {
    this.#fd = opts.fd ?? 1;
    this.#batch = opts.batchBytes ?? 65536;
    this.#max = opts.maxBuffered ?? 8 * 1024 * 1024;
    this.#timer = setInterval(() => this.#kick(), opts.flushMs ?? 100);
    this.#timer.unref();
  }

  /** Appends text (whole lines, newline-terminated). Never blocks. */
  write(text: string): boolean {
    if (this.#buf.length > this.#max) {
      this.#dropped++;
      return false;
    }
    this.#buf += text;
    if (this.#buf.length >= this.#batch) this.#kick();
    return true;
  }

  /** Resolves once everything written so far has reached the fd. */
  flush(): Promise<void> {
    if (!this.#writing && this.#buf === '') return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.#kick();
    });
  }

  /** Last-resort synchronous flush (forced exit). Lines of an in-flight async write may follow. */
  flushSync(): void {
    const data = this.#take();
    if (data !== '') {
      try {
        fs.writeSync(this.#fd, data);
      } catch {
        // The reader is gone; nothing more can be done at exit.
      }
    }
  }

  /** Stops the flush timer; pending lines are still written by `flush()`. */
  close(): void {
    clearInterval(this.#timer);
  }

  #take(): string {
    let data = this.#buf;
    this.#buf = '';
    if (this.#dropped > 0) {
      data += `{"level":40,"time":${Date.now()},"msg":"log buffer full: dropped ${this.#dropped} lines","dropped":${this.#dropped}}\n`;
      this.#dropped = 0;
    }
    return data;
  }

  #kick(): void {
    if (this.#writing) return;
    if (this.#buf === '' && this.#dropped === 0) {
      for (const r of this.#idle.splice(0)) r();
      return;
    }
    this.#writing = true;
    this.#writeOut(Buffer.from(this.#take()), 0);
  }

  #writeOut(data: Buffer, offset: number): void {
    fs.write(this.#fd, data, offset, data.length - offset, null, (err, n) => {
      if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') {
        setTimeout(() => this.#writeOut(data, offset), 10).unref();
        return;
      }
      if (!err && offset + n < data.length) return this.#writeOut(data, offset + n);
      // Any other error (EPIPE: the reader went away) drops this batch; logging must never
      // take the proxy down.
      this.#writing = false;
      // Write again now only if a full batch is waiting (or someone awaits a flush); small
      // leftovers wait for the timer, so a busy proxy makes few, large writes.
      if (this.#buf.length >= this.#batch || this.#idle.length > 0) this.#kick();
    });
  }
}
