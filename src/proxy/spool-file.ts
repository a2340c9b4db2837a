/**
 * @module proxy/spool-file
 * A Spool's temp file (spool.ts): appended at the server's pace, read back in order at the
 * client's. Made only when a slow client's response outgrows the spool's memory. The file
 * is unlinked as soon as it is open (temp-file.ts), and reused from its start once the
 * client has taken all of it (`rewind`).
 *
 * Contract: the owner's callbacks run only while the file is not closed; `close` releases
 * the descriptor once no read or write of it is in flight.
 */
import fs from 'node:fs';
import { openUnlinked, bufferIoError } from './temp-file.js';

const READ_SIZE = 64 * 1024;

/** What a SpoolFile reports to; implemented by Spool. */
export interface SpoolFileOwner {
  /** The file is open (chunks appended meanwhile are being written). */
  fileOpened(): void;
  /** A write completed: `written` may have grown. */
  fileWritten(): void;
  /** The next bytes, in order, after `read()`. */
  fileRead(buf: Buffer): void;
  /** Open, write or read failed: the spool is lost. */
  fileFailed(err: Error): void;
}

export class SpoolFile {
  readonly #owner: SpoolFileOwner;
  /** -2: opening; -1: closed. */
  #fd = -2;
  /** Offsets: next write, written so far (durable for reads), next read. */
  wpos = 0;
  written = 0;
  rpos = 0;
  /** Bytes being written now. */
  writing = 0;
  reading = false;
  #closed = false;
  /**
   * The writes in flight, in offset order: the thread pool runs them in parallel and may
   * complete a later one first, so only the completed prefix is readable.
   */
  readonly #flights: { end: number; done: boolean }[] = [];
  /** Chunks that arrived while the file was opening. */
  readonly #waiting: Buffer[] = [];

  constructor(dir: string, owner: SpoolFileOwner) {
    this.#owner = owner;
    openUnlinked(dir, 'spool', (err, fd) => {
      if (err !== null) return owner.fileFailed(err);
      if (this.#closed) return void fs.close(fd, () => {});
      this.#fd = fd;
      for (const c of this.#waiting.splice(0)) this.#append(c);
      owner.fileOpened();
    });
  }

  get opening(): boolean {
    return this.#fd === -2;
  }

  /** Whether every byte appended was read back. */
  get empty(): boolean {
    return this.rpos === this.wpos && this.#waiting.length === 0;
  }

  /** Appends `chunk` (held until the file is open). */
  append(chunk: Buffer): void {
    if (this.#fd === -2) this.#waiting.push(chunk);
    else this.#append(chunk);
  }

  #append(chunk: Buffer): void {
    const at = this.wpos;
    this.wpos += chunk.length;
    this.writing += chunk.length;
    const flight = { end: this.wpos, done: false };
    this.#flights.push(flight);
    fs.write(this.#fd, chunk, 0, chunk.length, at, (err, n) => {
      this.writing -= chunk.length;
      if (this.#closed) return this.#release();
      // A short write (a full disk) would leave a hole that reads back as zeros.
      if (err !== null || n !== chunk.length) return this.#owner.fileFailed(bufferIoError('spool', 'write', err ?? new Error(`short write (${n} of ${chunk.length} bytes)`)));
      flight.done = true;
      while (this.#flights[0]?.done === true) this.written = this.#flights.shift()!.end;
      this.#owner.fileWritten();
    });
  }

  /** Reads the next bytes written (the caller checks `!reading && rpos < written`). */
  read(): void {
    this.reading = true;
    const n = Math.min(READ_SIZE, this.written - this.rpos);
    const buf = Buffer.allocUnsafe(n);
    fs.read(this.#fd, buf, 0, n, this.rpos, (err, got) => {
      this.reading = false;
      if (this.#closed) return this.#release();
      if (err !== null || got !== n) return this.#owner.fileFailed(bufferIoError('spool', 'read', err ?? new Error(`short read (${got} of ${n} bytes)`)));
      this.rpos += n;
      this.#owner.fileRead(buf);
    });
  }

  /**
   * When everything written was read back and nothing is in flight, starts the file over
   * (it stays unlinked and open) and returns true.
   */
  rewind(): boolean {
    if (this.rpos !== this.wpos || this.#fd === -2 || this.writing !== 0) return false;
    this.rpos = this.wpos = this.written = 0;
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#release();
  }

  /**
   * Closes the file once no read or write of it is in flight: closed under one, its number
   * could go to a file opened meanwhile (another response's), and the write land there.
   */
  #release(): void {
    if (this.#fd < 0 || this.writing > 0 || this.reading) return;
    fs.close(this.#fd, () => {});
    this.#fd = -1;
  }
}
