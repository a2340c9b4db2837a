/**
 * @module proxy/request-body
 * Request buffering, as nginx's `proxy_request_buffering on`: the whole request body is
 * read from the client before a server is picked, into memory up to a limit and then an
 * unlinked temp file. A client that uploads slowly (R-U-Dead-Yet, slowhttptest -B) then
 * holds only its own connection, never a server's; and every buffered body can be
 * replayed by a retry.
 *
 * Contract: `bufferBody` calls `done` exactly once, unless `cancel()` was called first;
 * after `done` with a FileBody, the caller owns it and must `close()` it.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { BulwarkError } from '../core/errors.js';
import { bodyTooLarge } from './body-limit.js';
import { bufferIoError, openUnlinked } from './temp-file.js';

/** A body in an unlinked temp file; each `stream()` reads it from the start (for retries). */
export class FileBody {
  constructor(
    readonly fd: number,
    readonly size: number,
  ) {}

  stream(): Readable {
    return fs.createReadStream('', { fd: this.fd, start: 0, end: this.size - 1, autoClose: false, emitClose: false });
  }

  close(): void {
    fs.close(this.fd, () => {});
  }
}

export interface BodyBufferSettings {
  /** Bytes kept in memory; past them the body goes to a temp file (0 past memory: 413-free memory only). */
  readonly memory: number;
  /** Whether a body may spill to a temp file. */
  readonly toFile: boolean;
  readonly dir: string;
  /** front.max_body_size: more is a 413. */
  readonly max: number;
}

export type BufferedBody = Buffer | FileBody;

/** A request's body as an exchange holds it: none, buffered, or a stream forwarded as it arrives. */
export type RequestBody = Readable | BufferedBody | null;

/** Whether a retry can send `body` again (absent or buffered; a stream is read once). */
export function replayable(body: RequestBody): boolean {
  return body === null || Buffer.isBuffer(body) || body instanceof FileBody;
}

/** What one attempt sends: a FileBody is read from its start again for each. */
export function attemptBody(body: RequestBody): Readable | Buffer | null {
  return body instanceof FileBody ? body.stream() : body;
}

/** The exchange is over: a FileBody's file is closed once the last attempt's read stream has settled. */
export function releaseBody(body: RequestBody): void {
  if (body instanceof FileBody) setImmediate(closeFile, body);
}

function closeFile(body: FileBody): void {
  body.close();
}

/** Reads `src` to its end; returns a cancel function (the client went away). */
export function bufferBody(src: Readable, s: BodyBufferSettings, done: (err: BulwarkError | null, body?: BufferedBody) => void): () => void {
  const chunks: Buffer[] = [];
  let size = 0;
  let fd = -1;
  let written = 0;
  let writing = 0;
  let ended = false;
  let over = false;
  /**
   * Closes the file once no write is under way: closed under one, its number could go to
   * a file opened meanwhile (another request's, or a response's spool), and the write land there.
   */
  const release = (): void => {
    if (fd >= 0 && writing === 0) fs.close(fd, () => {});
  };
  const finish = (err: BulwarkError | null, body?: BufferedBody): void => {
    if (over) return;
    over = true;
    src.off('data', onData);
    src.off('end', onEnd);
    if (err !== null) release();
    done(err, body);
  };
  const flush = (): void => {
    // Chunks wait in memory while the file opens or a write is under way (the source is paused).
    if (over || fd < 0 || writing > 0) return;
    if (chunks.length > 0) {
      const buf = Buffer.concat(chunks);
      chunks.length = 0;
      writing = buf.length;
      fs.write(fd, buf, 0, buf.length, written, (err, n) => {
        writing = 0;
        if (over) return release(); // cancelled, or too large, meanwhile
        // A short write (a full disk) would leave a hole that reads back as zeros.
        if (err !== null || n !== buf.length) return finish(bufferIoError('body', 'write', err ?? new Error(`short write (${n} of ${buf.length} bytes)`)));
        written += buf.length;
        flush();
      });
      return;
    }
    if (ended) return finish(null, new FileBody(fd, written));
    src.resume();
  };
  const onData = (c: Buffer): void => {
    size += c.length;
    if (size > s.max) return finish(bodyTooLarge(s.max));
    chunks.push(c);
    if (fd === -1 && size <= s.memory) return;
    if (!s.toFile) return;
    src.pause();
    if (fd === -1) {
      fd = -2;
      openUnlinked(s.dir, 'body', (err, opened) => {
        if (err !== null) return finish(err);
        if (over) return void fs.close(opened, () => {});
        fd = opened;
        flush();
      });
    } else flush();
  };
  const onEnd = (): void => {
    ended = true;
    if (fd === -1) return finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    flush();
  };
  src.on('data', onData);
  src.on('end', onEnd);
  return () => {
    if (over) return;
    over = true;
    src.off('data', onData);
    src.off('end', onEnd);
    release();
  };
}
