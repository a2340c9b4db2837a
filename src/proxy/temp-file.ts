/**
 * @module proxy/temp-file
 * The temp files that buffer bodies (request-body.ts, spool.ts): each is created with
 * O_EXCL and mode 0600 in front.temp_path, then unlinked as soon as it is open, so its
 * data lives only as long as the descriptor, and nothing is left behind even after a
 * crash. Failures become one BLWK_BUFFER_IO error naming what failed.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { BulwarkError, ErrorCodes } from '../core/errors.js';

/** Opens a new unlinked temp file in `dir`; `kind` names it while it still has a name. */
export function openUnlinked(dir: string, kind: 'body' | 'spool', cb: (err: BulwarkError | null, fd: number) => void): void {
  const path = join(dir, `bulwark-${kind}-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.open(path, 'wx+', 0o600, (err, fd) => {
    if (err !== null) return cb(bufferIoError(kind, 'open', err), -1);
    fs.unlink(path, () => {});
    cb(null, fd);
  });
}

/** The error for a failed operation on a temp file of `kind`. */
export function bufferIoError(kind: 'body' | 'spool', op: string, err: Error): BulwarkError {
  const what = kind === 'body' ? 'request' : 'response';
  return new BulwarkError(ErrorCodes.BUFFER_IO, `${what} buffer file ${op} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 500, { cause: err });
}
