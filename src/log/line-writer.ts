/**
 * @module log/line-writer
 * A batching line writer for stdout (or any fd). Under load bulwark logs one access line
 * per request, and a syscall per line would cost more than the proxying itself; so lines
 * are encoded (UTF-8) into a buffer as they come and written in batches of ≥64 KiB, or
 * every `flushMs` when traffic is light. Writes are asynchronous (off the event loop), one
 * at a time, and handle short writes and EAGAIN (stdout may be a non-blocking pipe).
 *
 * Each line is copied into the buffer at once, while it is fresh in the cache. Appending
 * lines to one big string instead (a rope of hundreds of pieces) made flattening that
 * rope at write time, after it had aged through a GC or two, cost about 1 µs per line.
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

/** Spare batch buffers kept for reuse once written. */
const SPARES = 4;

export class LineWriter {
  readonly #fd: number;
  readonly #batch: number;
  readonly #max: number;
  /** Size of a batch buffer: a full batch plus the line that crosses the batch size. */
  readonly #bufferSize: number;
  /** The batch being filled, and how much of it is used. */
  #cur: Buffer;
  #used = 0;
  /** Full batches waiting to be written, oldest first. */
  #full: Buffer[] = [];
  #queued = 0;
  #spare: Buffer[] = [];
  #writing = false;
  #dropped = 0;
  #idle: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout;

  constructor(opts: LineWriterOptions = {}) {
    this.#fd = opts.fd ?? 1;
    this.#batch = opts.batchBytes ?? 65536;
    this.#max = opts.maxBuffered ?? 8 * 1024 * 1024;
    this.#bufferSize = this.#batch + 16384;
    this.#cur = this.#newBuffer();
    this.#timer = setInterval(() => this.#kick(), opts.flushMs ?? 100);
    this.#timer.unref();
  }

  /** Appends text (whole lines, newline-terminated). Never blocks. */
  write(text: string): boolean {
    if (this.#overflowing()) return false;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4).
    if (!this.#room(text.length * 3)) {
      // Longer than a batch buffer: it goes out as a batch of its own.
      this.#push(Buffer.from(text));
      this.#kick();
      return true;
    }
    this.#appended(this.#used + this.#cur.write(text, this.#used));
    return true;
  }

  /**
   * Appends one line that `fill(buf, at, arg)` writes in place, straight into the batch
   * buffer (no string in between); it returns the offset after the line, or -1 to decline
   * (whatever it wrote is then ignored). `bound` is the most bytes it may write.
   * @returns false only when `fill` declined: the caller then writes the line as text.
   */
  writeWith<T>(bound: number, fill: (buf: Buffer, at: number, arg: T) => number, arg: T): boolean {
    if (this.#overflowing()) return true;
    if (!this.#room(bound)) return false;
    const end = fill(this.#cur, this.#used, arg);
    if (end < 0) return false;
    this.#appended(end);
    return true;
  }

  /** Resolves once everything written so far has reached the fd. */
  flush(): Promise<void> {
    if (!this.#writing && this.#used === 0 && this.#full.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.#kick();
    });
  }

  /** Last-resort synchronous flush (forced exit). Lines of an in-flight async write may follow. */
  flushSync(): void {
    this.#seal();
    for (const b of this.#full.splice(0)) {
      // An async write in flight keeps its own share of #queued until its callback.
      this.#queued -= b.length;
      try {
        for (let off = 0; off < b.length; ) off += fs.writeSync(this.#fd, b, off);
      } catch {
        // The reader is gone; nothing more can be done at exit.
      }
    }
  }

  /** Stops the flush timer; pending lines are still written by `flush()`. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Past maxBuffered: the line is dropped, and counted for the in-band notice. */
  #overflowing(): boolean {
    if (this.#queued + this.#used <= this.#max) return false;
    this.#dropped++;
    return true;
  }

  /** Makes room for `bytes` in the current buffer; false when even an empty one is too small. */
  #room(bytes: number): boolean {
    if (this.#cur.length - this.#used >= bytes) return true;
    this.#seal();
    return this.#cur.length >= bytes;
  }

  /** The current buffer now holds lines up to `end`: write a full batch out. */
  #appended(end: number): void {
    this.#used = end;
    if (end >= this.#batch) this.#kick();
  }

  #newBuffer(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#bufferSize);
  }

  #push(b: Buffer): void {
    this.#full.push(b);
    this.#queued += b.length;
  }

  /** Moves the lines of the current buffer (and the drop notice) to the write queue. */
  #seal(): void {
    if (this.#used > 0) {
      this.#push(this.#cur.subarray(0, this.#used));
      this.#cur = this.#newBuffer();
      this.#used = 0;
    }
    if (this.#dropped > 0) {
      this.#push(Buffer.from(`{"level":40,"time":${Date.now()},"msg":"log buffer full: dropped ${this.#dropped} lines","dropped":${this.#dropped}}\n`));
      this.#dropped = 0;
    }
  }

  #kick(): void {
    if (this.#writing) return;
    this.#seal();
    const next = this.#full.shift();
    if (next === undefined) {
      for (const r of this.#idle.splice(0)) r();
      return;
    }
    this.#writing = true;
    this.#writeOut(next, 0);
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
      this.#queued -= data.length;
      this.#recycle(data);
      // Write again now only if a full batch is waiting (or someone awaits a flush); small
      // leftovers wait for the timer, so a busy proxy makes few, large writes.
      if (this.#full.length > 0 || this.#used >= this.#batch || this.#idle.length > 0) this.#kick();
    });
  }

  /** Keeps a written batch buffer (a view of a whole batch allocation) for reuse. */
  #recycle(data: Buffer): void {
    const whole = data.buffer;
    if (whole.byteLength === this.#bufferSize && data.byteOffset === 0 && this.#spare.length < SPARES) {
      this.#spare.push(Buffer.from(whole));
    }
  }
}
