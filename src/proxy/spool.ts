/**
 * @module proxy/spool
 * Response buffering, as nginx's `proxy_buffering`: a client that reads slower than the
 * server sends must not hold the server's connection. Once the client falls behind, the
 * rest of the response is read from the server at its own pace into a small memory queue
 * and then a temp file, and fed to the client as it drains. The upstream connection (and
 * its pool slot) is free as soon as the server has sent everything, however slowly the
 * client reads; slow readers cost a file descriptor and disk, not a pool connection.
 *
 * The temp file is unlinked as soon as it is open, so nothing is left behind, even after
 * a crash. Only a client that falls behind gets a Spool at all (Exchange creates it on the
 * first backpressure), so fast clients pay nothing.
 *
 * Contract: `write` is called in body order; it returns false when the caller must pause
 * the server until `onRoom`. `end` after the last chunk; `onFlushed` runs once the client
 * has been handed every byte. `destroy` releases the file whatever the state.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { bufferIoError, openUnlinked } from './temp-file.js';

export interface BufferingSettings {
  /** Most bytes per response held in memory before the temp file (nginx's proxy_buffers). */
  readonly memory: number;
  /** Most bytes per response in the temp file; 0: no temp file. */
  readonly maxFile: number;
  readonly dir: string;
  /** How long a client may accept nothing while a response waits for it, ms (nginx's send_timeout). */
  readonly sendTimeout: number;
}

/** File writes in flight past this pause the server (bounds memory while the disk lags). */
const MAX_WRITING = 256 * 1024;
const READ_SIZE = 64 * 1024;

export interface SpoolEvents {
  /** The server may send again (after `write` returned false). */
  onRoom(): void;
  /** Every byte was handed to the client after `end`. */
  onFlushed(): void;
  /** The temp file failed, or the client took nothing for the send timeout: cut the response. */
  onError(err: Error): void;
}

export class Spool {
  readonly #res: ServerResponse;
  readonly #s: BufferingSettings;
  readonly #ev: SpoolEvents;
  /** Waiting for the client's 'drain' (a Spool is made at the first backpressure). */
  #behind = true;
  #timer: NodeJS.Timeout | undefined;
  readonly #mem: Buffer[] = [];
  #memBytes = 0;
  /** -1: no file; -2: opening. */
  #fd = -1;
  /** File offsets: next write, written so far (durable for reads), next read. */
  #wpos = 0;
  #written = 0;
  #rpos = 0;
  #writing = 0;
  /**
   * The writes in flight, in offset order: the thread pool runs them in parallel and may
   * complete a later one first, so only the completed prefix is readable.
   */
  readonly #flights: { end: number; done: boolean }[] = [];
  #reading = false;
  #paused = false;
  #ended = false;
  #dead = false;
  /** Chunks that arrived while the file was opening. */
  readonly #waiting: Buffer[] = [];
  /** Chunks that arrived with the file full: they follow its contents. */
  readonly #tail: Buffer[] = [];

  constructor(res: ServerResponse, settings: BufferingSettings, events: SpoolEvents) {
    this.#res = res;
    this.#s = settings;
    this.#ev = events;
    this.#setBehind(true);
  }

  /** Whether nothing is queued here (bytes may still sit in the response's own buffer). */
  get empty(): boolean {
    return this.#memBytes === 0 && this.#rpos === this.#wpos && this.#waiting.length === 0 && this.#tail.length === 0;
  }

  write(chunk: Buffer): boolean {
    if (this.#dead) return true;
    if (this.#tail.length > 0) {
      this.#tail.push(chunk);
      return this.#pause();
    }
    if (!this.#behind && this.empty) {
      this.#send(chunk);
      return true;
    }
    // Memory first, while there is no file (so memory always holds the oldest bytes).
    if (this.#fd === -1 && (this.#memBytes + chunk.length <= this.#s.memory || this.#s.maxFile === 0)) {
      this.#mem.push(chunk);
      this.#memBytes += chunk.length;
      return this.#memBytes <= this.#s.memory || this.#pause();
    }
    if (this.#wpos + chunk.length > this.#s.maxFile) {
      // The file is full: hold this chunk and pause until the client has taken the file.
      this.#tail.push(chunk);
      return this.#pause();
    }
    if (this.#fd === -2) {
      this.#waiting.push(chunk);
      return this.#pause();
    }
    if (this.#fd === -1) {
      this.#open();
      this.#waiting.push(chunk);
      return this.#pause();
    }
    this.#append(chunk);
    return this.#writing > MAX_WRITING ? this.#pause() : true;
  }

  /** The server sent its last byte. */
  end(): void {
    this.#ended = true;
    this.#pump();
  }

  /** The client's socket drained. */
  drained(): void {
    this.#setBehind(false);
    this.#pump();
  }

  destroy(): void {
    this.#dead = true;
    clearTimeout(this.#timer);
    this.#release();
  }

  /**
   * Closes the file once no read or write of it is in flight: closed under one, its number
   * could go to a file opened meanwhile (another response's), and the write land there.
   */
  #release(): void {
    if (this.#fd < 0 || this.#writing > 0 || this.#reading) return;
    fs.close(this.#fd, () => {});
    this.#fd = -1;
  }

  #pause(): boolean {
    this.#paused = true;
    return false;
  }

  #room(): void {
    if (!this.#paused || this.#dead || this.#fd === -2 || this.#writing > MAX_WRITING) return;
    // A full file (or memory only) reopens only once the client has taken everything.
    if ((this.#s.maxFile === 0 || this.#wpos >= this.#s.maxFile) && !this.empty) return;
    this.#paused = false;
    this.#ev.onRoom();
  }

  #open(): void {
    this.#fd = -2;
    openUnlinked(this.#s.dir, 'spool', (err, fd) => {
      if (err !== null) return this.#fail(err);
      if (this.#dead) return void fs.close(fd, () => {});
      this.#fd = fd;
      for (const c of this.#waiting.splice(0)) this.#append(c);
      this.#room();
    });
  }

  #append(chunk: Buffer): void {
    const at = this.#wpos;
    this.#wpos += chunk.length;
    this.#writing += chunk.length;
    const flight = { end: this.#wpos, done: false };
    this.#flights.push(flight);
    fs.write(this.#fd, chunk, 0, chunk.length, at, (err, n) => {
      this.#writing -= chunk.length;
      if (this.#dead) return this.#release();
      // A short write (a full disk) would leave a hole that reads back as zeros.
      if (err !== null || n !== chunk.length) return this.#fail(bufferIoError('spool', 'write', err ?? new Error(`short write (${n} of ${chunk.length} bytes)`)));
      flight.done = true;
      while (this.#flights[0]?.done === true) this.#written = this.#flights.shift()!.end;
      this.#pump();
      this.#room();
    });
  }

  /** Hands one chunk to the client response. */
  #send(chunk: Buffer): void {
    if (!this.#res.write(chunk)) this.#setBehind(true);
  }

  #setBehind(behind: boolean): void {
    this.#behind = behind;
    if (!behind) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#res.socket === null) {
      // A response queued behind earlier pipelined ones waits for them, not for the
      // client: its clock starts when it gets the connection.
      this.#res.once('socket', () => this.#behind && this.#setBehind(true));
    } else if (this.#timer === undefined) this.#timer = setTimeout(onSendTimeout, this.#s.sendTimeout, this);
  }

  /** The send timeout fired (bound to the instance by setTimeout's argument). */
  timedOut(): void {
    if (!this.#behind || this.#dead) return;
    this.#fail(new BulwarkError(ErrorCodes.CLIENT_TIMEOUT, `the client accepted no data for ${this.#s.sendTimeout}ms (front.timeouts.send)`, 0));
  }

  #pump(): void {
    if (this.#dead) return;
    while (!this.#behind && this.#mem.length > 0) {
      const c = this.#mem.shift()!;
      this.#memBytes -= c.length;
      this.#send(c);
    }
    if (!this.#behind && !this.#reading && this.#rpos < this.#written) return this.#read();
    if (this.#rpos === this.#wpos && this.#fd !== -2 && this.#writing === 0) {
      // Everything in the file (if any: a chunk larger than maxFile may come before there
      // is one) was sent: start it over (it stays unlinked and open), then the held chunks.
      this.#rpos = this.#wpos = this.#written = 0;
      while (!this.#behind && this.#tail.length > 0) this.#send(this.#tail.shift()!);
    }
    if (this.empty) {
      this.#room();
      // onRoom may have run the server's next chunks, and its end, synchronously (undici's
      // resume() does): they are queued here now, not flushed.
      if (this.#ended && !this.#dead && this.empty) {
        this.#dead = true;
        this.destroy();
        this.#ev.onFlushed();
      }
    }
  }

  #read(): void {
    this.#reading = true;
    const n = Math.min(READ_SIZE, this.#written - this.#rpos);
    const buf = Buffer.allocUnsafe(n);
    fs.read(this.#fd, buf, 0, n, this.#rpos, (err, got) => {
      this.#reading = false;
      if (this.#dead) return this.#release();
      if (err !== null || got !== n) return this.#fail(bufferIoError('spool', 'read', err ?? new Error(`short read (${got} of ${n} bytes)`)));
      this.#rpos += n;
      this.#send(buf);
      this.#pump();
    });
  }

  #fail(err: Error): void {
    if (this.#dead) return;
    this.destroy();
    this.#ev.onError(err);
  }
}

function onSendTimeout(spool: Spool): void {
  spool.timedOut();
}
