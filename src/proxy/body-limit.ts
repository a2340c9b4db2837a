/**
 * @module proxy/body-limit
 * Enforces max_body_size on request bodies whose length is not announced (chunked
 * transfer coding). Bodies with Content-Length are checked before forwarding and are
 * streamed untouched; only chunked bodies pass through this counter.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { BulwarkError, ErrorCodes } from '../core/errors.js';

export class BodyLimit extends Transform {
  readonly #max: number;
  #seen = 0;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#max) cb(bodyTooLarge(this.#max));
    else cb(null, chunk);
  }
}

export function bodyTooLarge(max: number): BulwarkError {
  return new BulwarkError(ErrorCodes.BODY_TOO_LARGE, `request body larger than max_body_size (${max} bytes)`, 413);
}
