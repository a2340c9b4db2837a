/**
 * @module proxy/body-limit
 * Enforces max_body_size on request bodies whose length is not announced (chunked
 * transfer coding). Bodies with Content-Length are checked before forwarding and are
 * streamed untouched; only chunked bodies pass through this counter.
 *
 * Expect: 100-continue (RFC 9110 §10.1.1) is decided here too: the listener only marks the
 * request (`awaitContinue`), and the request path sends 100 once the request is admitted
 * (`admitBody`): routed, within its route's max_body_size and its rate_limit. A request
 * refused from its head gets its final status without 100, so its client uploads nothing;
 * Node then closes that connection, the body being unread.
 */
import type { ServerResponse } from 'node:http';
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

const kContinue = Symbol('bulwark.awaitsContinue');

/** Marks a response whose client waits for 100 Continue before sending its body. */
export function awaitContinue(res: ServerResponse): void {
  (res as ServerResponse & { [kContinue]?: boolean })[kContinue] = true;
}

/** Sends 100 Continue if the client waits for it: its request was admitted. */
export function admitBody(res: ServerResponse): void {
  if ((res as ServerResponse & { [kContinue]?: boolean })[kContinue] === true) res.writeContinue();
}

