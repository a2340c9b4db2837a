/**
 * @module proxy/exchange
 * One forwarded request: an undici dispatch handler that streams the upstream response
 * straight into the client response with backpressure (no buffering), and that ends the
 * exchange exactly once. Shared listener functions find their Exchange through a symbol
 * on the response object, so no closure is allocated per request.
 *
 * Contract: an upstream failure after the response head was sent must never look like a
 * complete response, so the client socket is destroyed, never ended (a truncated body
 * must not pass for a whole one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { BulwarkError, ErrorCodes, describeUpstreamError, upstreamStatus } from '../core/errors.js';
import type { Server } from '../core/server.js';
import { forwardResponseHeaders } from './headers.js';
import { sendError } from './respond.js';

export const kExchange = Symbol('bulwark.exchange');

/** Read when a response starts: during a graceful drain responses close their connection. */
export interface DrainState {
  readonly draining: boolean;
}

/** Called once per finished exchange. */
export type ExchangeDone = (ex: Exchange) => void;

type Controller = Dispatcher.DispatchController;

export class Exchange implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly upstream: string;
  readonly server: Server;
  readonly start: number;
  /** Client-facing status (0 when the client connection died before a head was sent). */
  status = 0;
  /** Error code when the exchange failed ("" otherwise). */
  error = '';
  /** true once the upstream response completed normally. */
  completed = false;
  #controller: Controller | null = null;
  #done = false;
  /** The 'drain' listener is added on first backpressure only: most responses never need it. */
  #drainHooked = false;
  readonly #onDone: ExchangeDone;
  readonly #drain: DrainState;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    upstream: string,
    server: Server,
    start: number,
    drain: DrainState,
    onDone: ExchangeDone,
  ) {
    this.#drain = drain;
    this.req = req;
    this.res = res;
    this.requestId = requestId;
    this.upstream = upstream;
    this.server = server;
    this.start = start;
    this.#onDone = onDone;
    server.activeRequests++;
    (res as unknown as Record<symbol, Exchange>)[kExchange] = this;
    res.on('close', onClose);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    // The client may have gone away while the request waited in the pool's queue.
    if (this.#done) controller.abort(clientAborted());
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200 || this.#done) return; // 1xx interim responses are not forwarded
    this.status = statusCode;
    if (this.#drain.draining) this.res.shouldKeepAlive = false;
    const head = forwardResponseHeaders(headers, this.requestId);
    if (statusMessage) this.res.writeHead(statusCode, statusMessage, head);
    else this.res.writeHead(statusCode, head);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.res.write(chunk)) return;
    controller.pause();
    if (!this.#drainHooked) {
      this.#drainHooked = true;
      this.res.on('drain', onDrain);
    }
  }

  onResponseEnd(): void {
    this.completed = true;
    this.res.end();
    this.#finish();
  }

  onResponseError(_c: Controller, err: Error): void {
    if (this.#done) return;
    const code = (err as { code?: string }).code;
    this.error = typeof code === 'string' ? code : 'ERROR';
    if (!this.res.headersSent) {
      this.status = upstreamStatus(err);
      const detail = err instanceof BulwarkError ? err.message : `upstream ${this.server.name}: ${describeUpstreamError(err)}`;
      sendError(this.res, this.status, this.requestId, detail, this.status === 413);
    } else {
      // Mid-body failure: cut the client connection so the truncation is visible.
      this.res.destroy(err);
    }
    this.#finish();
  }

  /** The client went away: cancel the upstream request. */
  abortFromClient(): void {
    if (this.#done) return;
    this.error = ErrorCodes.CLIENT_ABORTED;
    if (!this.res.headersSent) this.status = 499; // nginx's "client closed request"
    this.#finish();
    this.#controller?.abort(clientAborted());
  }

  resume(): void {
    this.#controller?.resume();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.server.activeRequests--;
    this.#onDone(this);
  }
}

function clientAborted(): BulwarkError {
  return new BulwarkError(ErrorCodes.CLIENT_ABORTED, 'client closed the connection', 499);
}

function onDrain(this: ServerResponse): void {
  (this as unknown as Record<symbol, Exchange>)[kExchange]!.resume();
}

function onClose(this: ServerResponse): void {
  // 'close' also follows a normal finish; only an unfinished response means an abort.
  if (!this.writableFinished) (this as unknown as Record<symbol, Exchange>)[kExchange]!.abortFromClient();
}
