/**
 * @module proxy/exchange
 * One client request from arrival to the last byte: picks a server (or waits in the
 * bounded pending queue), runs attempts, retries when the retry policy allows, and streams
 * the chosen response into the client response with backpressure (no buffering). Shared
 * listener functions find their Exchange in a field of the response (ProxyResponse), so no
 * closure is allocated per request.
 *
 * Contracts: the exchange ends exactly once (`onDone`); each attempt's outcome is reported
 * exactly once to the upstream's observers; an upstream failure after the response head
 * was sent must never look like a complete response, so the client socket is destroyed,
 * never ended (a truncated body must not pass for a whole one).
 */
import { STATUS_CODES, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { BulwarkError, ErrorCodes, describeUpstreamError, upstreamErrorCode, upstreamStatus } from '../core/errors.js';
import { classifyError, type AttemptOutcome } from '../core/outcome.js';
import type { Server } from '../core/server.js';
import type { PickContext } from '../balancer/scheduler.js';
import type { Waiter } from '../resilience/pending-queue.js';
import { Attempt, type AttemptOwner } from './attempt.js';
import { dropFields, forwardResponseHeaders } from './headers.js';
import { FileBody, bufferBody, type BodyBufferSettings } from './request-body.js';
import { Spool, type BufferingSettings, type SpoolEvents } from './spool.js';
import { sendError } from './respond.js';
import type { UpstreamRuntime } from './upstream.js';

/**
 * The front servers' response class (http.createServer's `ServerResponse` option): it
 * carries its Exchange as a plain field, so the shared 'close' and 'drain' listeners find
 * it with an ordinary property load, not a symbol key added to every response.
 */
export class ProxyResponse extends ServerResponse {
  exchange: Exchange | undefined = undefined;
}

/** Asked when a response starts: during a drain, or on a retiring listener, responses close their connection. */
export interface DrainState {
  closesConnection(req: IncomingMessage): boolean;
}

/** Called once per finished exchange. */
export type ExchangeDone = (ex: Exchange) => void;

/** Bodies up to this size are written as text with their head (see attemptData). */
const SMALL_BODY = 4096;

const CANCELLED: AttemptOutcome = { result: 'cancelled', status: 0, code: ErrorCodes.CLIENT_ABORTED };

export interface ExchangeInit {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly upstream: UpstreamRuntime;
  readonly ctx: PickContext;
  readonly path: string;
  readonly headers: string[];
  /** null: no body; Buffer or FileBody: buffered (replayable); stream: forwarded as it arrives. */
  readonly body: Readable | Buffer | null;
  readonly start: number;
  /** How a response is buffered once its client falls behind (see spool.ts). */
  readonly buffering: BufferingSettings;
}

export class Exchange implements AttemptOwner, Waiter, SpoolEvents {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly upstream: UpstreamRuntime;
  readonly start: number;
  /** The server of the latest attempt (undefined if none was made). */
  server: Server | undefined;
  /** Client-facing status (0 when the client connection died before a head was sent). */
  status = 0;
  /** BLWK_ code when the exchange failed ("" otherwise). */
  error = '';
  /** What went wrong, for the access log only (may name servers: never sent to the client). */
  detail = '';
  readonly #i: ExchangeInit;
  #body: Readable | Buffer | FileBody | null;
  /** Stops reading the request body into its buffer (set while it is being read). */
  #cancelBody: (() => void) | undefined;
  readonly #drain: DrainState;
  readonly #onDone: ExchangeDone;
  #attempt: Attempt | null = null;
  #attempts = 0;
  #tried: Server[] | undefined;
  #done = false;
  #queued = false;
  /** The session key of a request on a sticky upstream (read on the first attempt). */
  #stickyKey: string | undefined;
  /** The response's declared Content-Length until its first body chunk; -1 when unknown or past it. */
  #declared = -1;
  /** The client connection, watched while this response is queued behind pipelined ones. */
  #conn: Conn | undefined;
  /** Made when the client first falls behind; from then on every body chunk goes through it. */
  #spool: Spool | undefined;
  /** The response has no body (204, 304, HEAD) and was ended with its head. */
  #noBody = false;

  constructor(init: ExchangeInit, drain: DrainState, onDone: ExchangeDone) {
    this.#i = init;
    this.req = init.req;
    this.res = init.res;
    this.requestId = init.requestId;
    this.upstream = init.upstream;
    this.start = init.start;
    this.#drain = drain;
    this.#onDone = onDone;
    this.#body = init.body;
    init.upstream.exchangeStarted();
    (init.res as ProxyResponse).exchange = this;
    init.res.on('close', onClose);
    // A response queued behind earlier pipelined ones has no socket yet, and Node never
    // closes it when the client leaves: watch the connection itself, or this exchange
    // (and its upstream request) would be held forever.
    if (init.res.socket === null && init.req.socket !== null) watchQueued(this, (this.#conn = init.req.socket as Conn));
  }

  /**
   * Reads the whole request body first (memory, then a temp file, as `settings` say; see
   * request-body.ts), so no server waits on a slow upload and retries can replay it, then
   * runs. A client that goes away meanwhile ends the exchange as aborted.
   */
  bufferThenRun(settings: BodyBufferSettings): void {
    this.#cancelBody = bufferBody(this.req, settings, (err, body) => {
      this.#cancelBody = undefined;
      // Too large (chunked, past max_body_size), or the temp file failed.
      if (err !== null) return this.#fail(err.status, err.message, err.code, true);
      if (this.#done) return body instanceof FileBody ? body.close() : undefined;
      this.#body = body!;
      this.run();
    });
  }

  get finished(): boolean {
    return this.#done;
  }

  /** Picks a server and dispatches, or queues when every server is busy, or answers 503. */
  run(): void {
    if (this.#done) return;
    const aff = this.upstream.affinity;
    if (aff !== undefined && this.#attempts === 0) {
      const key = (this.#stickyKey = aff.key(this.req, this.#i.ctx.clientIp));
      const pinned = key === undefined ? undefined : aff.pinned(key, this.upstream.servers.all);
      if (pinned !== undefined && pinned.activeRequests < this.upstream.maxConcurrent) return this.#dispatch(pinned);
    }
    const server = this.upstream.pick(this.#i.ctx, this.#tried);
    if (server !== undefined) return this.#dispatch(server);
    if (this.#attempts === 0 && this.upstream.saturated && this.upstream.pending?.enqueue(this)) {
      this.#queued = true;
      return;
    }
    this.#fail(503, this.upstream.unavailableDetail(), ErrorCodes.NO_SERVER);
  }

  wake(): void {
    this.#queued = false;
    this.run();
  }

  expire(): void {
    this.#queued = false;
    this.#fail(503, `no free server in upstream "${this.upstream.name}" within pending_timeout`, ErrorCodes.NO_SERVER);
  }

  #dispatch(server: Server): void {
    const retry = this.upstream.retry;
    const isRetry = this.#attempts > 0;
    this.#attempts++;
    this.server = server;
    if (retry !== undefined) (this.#tried ??= []).push(server);
    if (isRetry) retry!.inFlight++;
    else retry?.requestStarted();
    this.upstream.attemptStart(server);
    const a = new Attempt(this, server, isRetry);
    this.#attempt = a;
    const i = this.#i;
    const b = this.#body;
    const opts: Dispatcher.DispatchOptions = { path: i.path, method: i.req.method!, headers: i.headers, body: b instanceof FileBody ? b.stream() : b };
    // per_try_timeout runs on a native timer: undici's own header timeout ticks every ~0.5 s,
    // too coarse for sub-second per-try budgets.
    if (retry !== undefined) a.timer = setTimeout(onAttemptTimeout, retry.perTryTimeout, a, retry.perTryTimeout);
    this.upstream.pool(server).dispatch(opts, a);
  }

  /** Reports an attempt's outcome (once) and frees its slot. */
  #endAttempt(a: Attempt, outcome: AttemptOutcome): void {
    if (a.ended) return;
    a.ended = true;
    if (a.timer !== undefined) clearTimeout(a.timer);
    if (a.isRetry) this.upstream.retry!.inFlight--;
    this.upstream.attemptEnd(a.server, outcome);
  }

  /**
   * The server a retry of this failed attempt would go to, when the policy allows a retry
   * (which is then counted against the budget) and another server qualifies.
   */
  #retryTarget(outcome: AttemptOutcome): Server | undefined {
    const retry = this.upstream.retry;
    if (retry === undefined || this.#done || this.res.headersSent) return undefined;
    const replayable = this.#body === null || Buffer.isBuffer(this.#body) || this.#body instanceof FileBody;
    if (!retry.allows(outcome, this.#i.req.method!, this.#attempts, replayable)) return undefined;
    return this.upstream.pick(this.#i.ctx, this.#tried);
  }

  /** Retries elsewhere if the policy allows and another server qualifies. */
  #retry(a: Attempt, outcome: AttemptOutcome): boolean {
    const next = this.#retryTarget(outcome);
    if (next === undefined) return false;
    this.#endAttempt(a, outcome);
    this.#dispatch(next);
    return true;
  }

  attemptStarted(a: Attempt): void {
    // The client may have gone away, or the try timed out, while it waited in the pool's queue.
    if (this.#done) a.abort!(clientAborted());
    else if (a.timedOut !== undefined) a.abort!(a.timedOut);
  }

  attemptHead(a: Attempt, status: number, rawHeaders: Buffer[], statusMessage: string): void {
    if (a.timer !== undefined) clearTimeout(a.timer);
    if (this.#done || a !== this.#attempt) return;
    const retry = this.upstream.retry;
    if (retry !== undefined && retry.retriesStatus(status)) {
      // A 502/503/504 that will be retried is held back (its body dropped) and retried once
      // it ends; one that can't be retried (POST, attempts or budget spent, no other
      // server) is forwarded as the server sent it, as Envoy does.
      const next = this.#retryTarget(responseOutcome(status));
      if (next !== undefined) {
        a.heldStatus = status;
        a.retryTo = next;
        return;
      }
    }
    this.status = status;
    if (this.#drain.closesConnection(this.req)) this.res.shouldKeepAlive = false;
    const head = forwardResponseHeaders(rawHeaders, this.requestId);
    const aff = this.upstream.affinity;
    if (aff !== undefined) {
      const cookie = aff.commit(this.#stickyKey, a.server, head);
      if (cookie !== undefined) head.push('set-cookie', cookie);
    }
    // RFC 9110 §6.4.1: 204, 304 and answers to HEAD have no body, whatever the server sends
    // after the head (those bytes are not this response's: undici fails the connection on
    // them, and it is never reused). The client gets the complete response at once.
    const noBody = status === 204 || status === 304 || this.req.method === 'HEAD';
    if (status === 204) dropFields(head, isContentLength); // RFC 9110 §8.6: not in a 204
    this.#declared = noBody ? -1 : declaredLength(head);
    // A custom reason phrase is kept; the standard one is what Node writes anyway (without
    // checking it again).
    if (statusMessage && statusMessage !== STATUS_CODES[status]) this.res.writeHead(status, statusMessage, head);
    else this.res.writeHead(status, head);
    if (noBody) {
      this.#noBody = true;
      this.res.end();
    }
  }

  attemptData(a: Attempt, chunk: Buffer): boolean {
    if (a !== this.#attempt || this.#noBody) return true;
    // The whole declared body in its first chunk (most small responses): send it with the
    // end of the response, one write without Node's cork-until-next-tick. Only a complete
    // body takes this path, so nothing can still fail after it; attemptEnd finishes.
    if (chunk.length === this.#declared) {
      // A small body goes as latin1 text (byte for byte the same): Node then joins it to the
      // head and makes one plain string write, where a Buffer costs a vectored write of
      // head and body (about 2% of the CPU per request, measured side by side: see
      // benchmarks/README.md, "Comparing two builds").
      if (chunk.length <= SMALL_BODY) this.res.end(chunk.toString('latin1'), 'latin1');
      else this.res.end(chunk);
      return true;
    }
    this.#declared = -1;
    if (this.#spool !== undefined) return this.#spool.write(chunk);
    if (this.res.write(chunk)) return true;
    // The client fell behind: buffer the rest (spool.ts), so the server's connection is
    // not held by a slow reader; the spool pauses the server when its limits are reached.
    // The 'drain' listener goes on with the spool, at the first backpressure: most
    // responses never need either.
    this.res.on('drain', onDrain);
    this.#spool = new Spool(this.res, this.#i.buffering, this);
    return true;
  }

  /** SpoolEvents: the spool has room again, the server may send. */
  onRoom(): void {
    this.#attempt?.resume();
  }

  /** SpoolEvents: the client has every byte of a response whose server finished earlier. */
  onFlushed(): void {
    if (this.#done) return;
    this.res.end();
    this.#finish();
  }

  /** SpoolEvents: the client took nothing for the send timeout, or the buffer file failed. */
  onError(err: Error): void {
    if (this.#done) return;
    this.error = err instanceof BulwarkError ? err.code : ErrorCodes.BUFFER_IO;
    this.detail = err.message;
    this.#finish();
    const a = this.#attempt;
    if (a !== null && !a.ended) a.abort?.(err);
    // Cut, never end: a truncated body must not look complete.
    this.res.destroy();
  }

  attemptEnd(a: Attempt): void {
    if (a.heldStatus !== 0) return this.#heldDone(a);
    this.#endAttempt(a, responseOutcome(this.status));
    if (this.#done) return;
    // The server is done and its connection free; a slow client is still fed from the spool.
    if (this.#spool !== undefined && !this.#spool.empty) return this.#spool.end();
    if (!this.res.writableEnded) this.res.end();
    this.#finish();
  }

  attemptError(a: Attempt, err: Error): void {
    if (a.ended) return;
    if (this.#done) return this.#endAttempt(a, CANCELLED);
    if (a.heldStatus !== 0) return this.#heldDone(a);
    const outcome = classifyError(err);
    if (this.#retry(a, outcome)) return;
    this.#endAttempt(a, outcome);
    this.error = upstreamErrorCode(err, outcome.result);
    this.detail = err instanceof BulwarkError ? err.message : `upstream ${a.server.name}: ${describeUpstreamError(err)}`;
    if (!this.res.headersSent) {
      this.status = upstreamStatus(err);
      sendError(this.res, this.status, this.requestId, this.status === 413 ? this.detail : '', this.status === 413);
    } else if (!this.res.writableEnded) {
      // Mid-body failure: cut the client connection so the truncation is visible.
      this.res.destroy(err);
    }
    this.#finish();
  }

  /** A held-back 502/503/504 finished (or broke off): retry it where decided. */
  #heldDone(a: Attempt): void {
    const outcome = responseOutcome(a.heldStatus);
    this.#endAttempt(a, outcome);
    if (this.#done) return;
    // The chosen server may have gone out meanwhile: pick again if so.
    const chosen = a.retryTo!;
    const next = chosen.available && chosen.activeRequests < this.upstream.maxConcurrent ? chosen : this.upstream.pick(this.#i.ctx, this.#tried);
    if (next !== undefined) return this.#dispatch(next);
    this.#fail(a.heldStatus, `upstream ${a.server.name} answered ${a.heldStatus}; no other server to retry on`, '');
  }

  /** Answers from bulwark itself and ends the exchange. */
  #fail(status: number, detail: string, code: string, close = false): void {
    if (this.#done) return;
    this.status = status;
    this.error = code;
    this.detail = detail;
    sendError(this.res, status, this.requestId, status === 413 ? detail : '', close);
    this.#finish();
  }

  /** The client went away: cancel the upstream request or leave the queue. */
  abortFromClient(): void {
    if (this.#done) return;
    this.error = ErrorCodes.CLIENT_ABORTED;
    if (!this.res.headersSent) this.status = 499; // nginx's "client closed request"
    if (this.#queued) this.upstream.pending!.remove(this);
    this.#finish();
    this.#attempt?.abort?.(clientAborted());
  }

  /** The client response drained (the listener exists only with a spool). */
  resume(): void {
    this.#spool!.drained();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#conn !== undefined) this.#conn[kQueued]?.delete(this);
    this.#spool?.destroy();
    this.#cancelBody?.();
    // The last attempt's stream may still be reading the file: close it after that settles.
    if (this.#body instanceof FileBody) setImmediate(closeFile, this.#body);
    this.upstream.exchangeEnded();
    this.#onDone(this);
  }
}

/** Shared, frozen outcomes of answered attempts, one per status (no allocation per request). */
const RESPONSE_OUTCOMES = new Map<number, AttemptOutcome>();
function responseOutcome(status: number): AttemptOutcome {
  let o = RESPONSE_OUTCOMES.get(status);
  if (o === undefined) RESPONSE_OUTCOMES.set(status, (o = Object.freeze({ result: 'response', status, code: '' })));
  return o;
}

/** The Content-Length of a forwarded head (flat, lower-case names); -1 when absent or not one plain number. */
function declaredLength(head: readonly string[]): number {
  for (let i = 0; i < head.length; i += 2) {
    if (head[i] === 'content-length') {
      // Digits only (1 to 15 of them, well inside exact integers), else unknown.
      const v = head[i + 1]!;
      if (v.length === 0 || v.length > 15) return -1;
      let n = 0;
      for (let k = 0; k < v.length; k++) {
        const d = v.charCodeAt(k) - 48;
        if (d < 0 || d > 9) return -1;
        n = n * 10 + d;
      }
      return n;
    }
  }
  return -1;
}

/** per_try_timeout fired before the response head: abort the try (it is then retried or answered 504). */
function onAttemptTimeout(a: Attempt, ms: number): void {
  a.timedOut = Object.assign(new Error(`no response head within per_try_timeout (${ms}ms)`), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  a.abort?.(a.timedOut);
}

function isContentLength(name: string): boolean {
  return name === 'content-length';
}

function closeFile(body: FileBody): void {
  body.close();
}

function clientAborted(): BulwarkError {
  return new BulwarkError(ErrorCodes.CLIENT_ABORTED, 'client closed the connection', 499);
}

function onDrain(this: ServerResponse): void {
  (this as ProxyResponse).exchange!.resume();
}

const kQueued = Symbol('bulwark.queuedExchanges');
/** A client connection with the exchanges whose responses wait behind earlier ones on it. */
type Conn = Socket & { [kQueued]?: Set<Exchange> };

/** One 'close' listener per connection, however deep the pipeline. */
function watchQueued(ex: Exchange, conn: Conn): void {
  let queued = conn[kQueued];
  if (queued === undefined) {
    queued = conn[kQueued] = new Set();
    conn.once('close', onConnClose);
  }
  queued.add(ex);
}

function onConnClose(this: Conn): void {
  for (const ex of this[kQueued]!) ex.abortFromClient();
}

function onClose(this: ServerResponse): void {
  // 'close' also follows a normal finish; only an unfinished response means an abort.
  if (!this.writableFinished) (this as ProxyResponse).exchange!.abortFromClient();
}
