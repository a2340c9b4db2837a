/**
 * @module proxy/spool
 * Response buffering, as nginx's `proxy_buffering`: a client that reads slower than the
 * server sends must not hold the server's connection. Once the client falls behind, the
 * rest of the response is read from the server at its own pace into a small memory queue
 * and then a temp file, and fed to the client as it drains. The upstream connection (and
 * its pool slot) is free as soon as the server has sent everything, however slowly the
 * client reads; slow readers cost a file descriptor and disk, not a pool connection.
 *
 * The temp file (spool-file.ts) is unlinked as soon as it is open, so nothing is left
 * behind, even after a crash. Only a client that falls behind gets a Spool at all (its
 * ResponseWriter makes it at the first backpressure), so fast clients pay nothing.
 *
 * Contract: `write` is called in body order; it returns false when the caller must pause
 * the server until `onRoom`. `end` after the last chunk; `onFlushed` runs once the client
 * has been handed every byte. `destroy` releases the file whatever the state.
 */
import type { ServerResponse } from 'node:http';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { SpoolFile, type SpoolFileOwner } from './spool-file.js';

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

export interface SpoolEvents {
  /** The server may send again (after `write` returned false). */
  onRoom(): void;
  /** Every byte was handed to the client after `end`. */
  onFlushed(): void;
  /** The temp file failed, or the client took nothing for the send timeout: cut the response. */
  onError(err: Error): void;
}

export class Spool implements SpoolFileOwner {
  readonly #res: ServerResponse;
  readonly #s: BufferingSettings;
  readonly #ev: SpoolEvents;
  /** Waiting for the client's 'drain' (a Spool is made at the first backpressure). */
  #behind = true;
  #timer: NodeJS.Timeout | undefined;
  readonly #mem: Buffer[] = [];
  #memBytes = 0;
  /** Made once memory is full (memory always holds the oldest bytes). */
  #file: SpoolFile | undefined;
  #paused = false;
  #ended = false;
  #dead = false;
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
    return this.#memBytes === 0 && (this.#file === undefined || this.#file.empty) && this.#tail.length === 0;
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
    let f = this.#file;
    // Memory first, while there is no file (so memory always holds the oldest bytes).
    if (f === undefined && (this.#memBytes + chunk.length <= this.#s.memory || this.#s.maxFile === 0)) {
      this.#mem.push(chunk);
      this.#memBytes += chunk.length;
      return this.#memBytes <= this.#s.memory || this.#pause();
    }
    if ((f === undefined ? 0 : f.wpos) + chunk.length > this.#s.maxFile) {
      // The file is full: hold this chunk and pause until the client has taken the file.
      this.#tail.push(chunk);
      return this.#pause();
    }
    if (f === undefined) this.#file = f = new SpoolFile(this.#s.dir, this);
    f.append(chunk); // held while the file opens
    return f.opening || f.writing > MAX_WRITING ? this.#pause() : true;
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
    this.#file?.close();
  }

  /** SpoolFileOwner: the file is open. */
  fileOpened(): void {
    this.#room();
  }

  /** SpoolFileOwner: a write completed. */
  fileWritten(): void {
    this.#pump();
    this.#room();
  }

  /** SpoolFileOwner: the next bytes of the file, for the client. */
  fileRead(buf: Buffer): void {
    this.#send(buf);
    this.#pump();
  }

  /** SpoolFileOwner: the file failed. */
  fileFailed(err: Error): void {
    this.#fail(err);
  }

  #pause(): boolean {
    this.#paused = true;
    return false;
  }

  #room(): void {
    const f = this.#file;
    if (!this.#paused || this.#dead || (f !== undefined && (f.opening || f.writing > MAX_WRITING))) return;
    // A full file (or memory only) reopens only once the client has taken everything.
    if ((this.#s.maxFile === 0 || (f !== undefined && f.wpos >= this.#s.maxFile)) && !this.empty) return;
    this.#paused = false;
    this.#ev.onRoom();
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
    const f = this.#file;
    if (f !== undefined && !this.#behind && !f.reading && f.rpos < f.written) return f.read();
    if (f === undefined || f.rewind()) {
      // Everything in the file (if any: a chunk larger than maxFile may come before there
      // is one) was sent: it starts over (it stays unlinked and open), then the held chunks.
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

  #fail(err: Error): void {
    if (this.#dead) return;
    this.destroy();
    this.#ev.onError(err);
  }
}

function onSendTimeout(spool: Spool): void {
  spool.timedOut();
}
