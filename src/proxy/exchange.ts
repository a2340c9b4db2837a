/**
 * @module proxy/exchange
 * One client request from arrival to the last byte: picks a server (or waits in the
 * bounded pending queue), runs attempts, retries when the retry policy allows (retry.ts),
 * and hands the chosen response to its ResponseWriter (response-writer.ts). Shared
 * listener functions find their Exchange in a field of the response (ProxyResponse, set
 * by the ResponseWriter), so no closure is allocated per request. Which response is held
 * back for a retry is Retries.hold's call; how a body is replayed and released is
 * request-body.ts's; why a session's pin was passed over is Affinity.missReason's.
 *
 * Contracts: the exchange ends exactly once (`onDone`); each attempt's outcome is reported
 * exactly once to the upstream's observers; an upstream failure after the response head
 * was sent must never look like a complete response, so the client socket is destroyed,
 * never ended (a truncated body must not pass for a whole one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { responseOutcome, type AttemptOutcome } from '../core/outcome.js';
import { CANCELLED, describeUpstreamError, upstreamFailure } from '../core/upstream-failure.js';
import type { Server } from '../core/server.js';
import type { PickContext } from '../balancer/scheduler.js';
import type { Waiter } from '../resilience/pending-queue.js';
import { Attempt, type AttemptOwner, type RawTrailers } from './attempt.js';
import { unwatch, watchQueued } from './connection.js';
import { forwardResponseHeaders } from './headers.js';
import { FileBody, attemptBody, bufferBody, releaseBody, replayable, type BodyBufferSettings, type RequestBody } from './request-body.js';
import { ResponseWriter, type ResponseOwner } from './response-writer.js';
import { Retries } from './retry.js';
import type { BufferingSettings, SpoolEvents } from './spool.js';
import { sendError } from './respond.js';
import type { RouteRuntime } from './route.js';
import type { UpstreamRuntime } from './upstream.js';
import { isTls } from './front-listener.js';

/** Asked when a response starts: during a drain, or on a retiring listener, responses close their connection. */
export interface DrainState {
  closesConnection(req: IncomingMessage): boolean;
}

/** Called once per finished exchange. */
export type ExchangeDone = (ex: Exchange) => void;

export interface ExchangeInit {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly upstream: UpstreamRuntime;
  /** The matched route: its response header rules apply to the upstream's response head. */
  readonly route?: RouteRuntime;
  /** Set-Cookie to add to the upstream's response: the route's split pins the client (route-split.ts). */
  readonly setCookie?: string | undefined;
  readonly ctx: PickContext;
  readonly path: string;
  readonly headers: string[];
  /** null: no body; Buffer or FileBody: buffered (replayable); stream: forwarded as it arrives. */
  readonly body: Readable | Buffer | null;
  readonly start: number;
  /** How a response is buffered once its client falls behind (see spool.ts). */
  readonly buffering: BufferingSettings;
  /** The Host header ("" when absent), for the access log. */
  readonly host?: string;
}

export class Exchange implements AttemptOwner, Waiter, SpoolEvents, ResponseOwner {
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
  readonly host: string;
  /**
   * What steered the choice of server, for the access log: "sticky" (the session's pinned
   * server), "repin(NAME:WHY)" (the pinned server could not take it: its flag, "busy" at
   * max_concurrent, or "gone" from the upstream), "queued" (waited for a free server); "," between.
   */
  steer = '';
  readonly #i: ExchangeInit;
  #body: RequestBody;
  /** Stops reading the request body into its buffer (set while it is being read). */
  #cancelBody: (() => void) | undefined;
  readonly #drain: DrainState;
  readonly #onDone: ExchangeDone;
  #attempt: Attempt | null = null;
  #attempts = 0;
  /** Only when the upstream retries. */
  readonly #retries: Retries | undefined;
  readonly #out: ResponseWriter;
  #done = false;
  #queued = false;
  /** The session key of a request on a sticky upstream (read on the first attempt). */
  #stickyKey: string | undefined;
  /** The sticky store's lookup of the key elsewhere (a fleet's Redis) was asked for: once per request. */
  #lookedUp = false;
  /** The request came in over TLS: a session cookie it is given is Secure. */
  #secure = false;
  /** The client connection, watched while this response is queued behind pipelined ones. */
  #conn: Socket | undefined;

  constructor(init: ExchangeInit, drain: DrainState, onDone: ExchangeDone) {
    this.#i = init;
    this.req = init.req;
    this.res = init.res;
    this.requestId = init.requestId;
    this.upstream = init.upstream;
    this.start = init.start;
    this.host = init.host ?? '';
    this.#drain = drain;
    this.#onDone = onDone;
    this.#body = init.body;
    const policy = init.upstream.retry;
    this.#retries = policy === undefined ? undefined : new Retries(init.upstream, policy);
    this.#out = new ResponseWriter(init.res, init.buffering, this);
    init.upstream.exchangeStarted();
    // A response queued behind earlier pipelined ones has no socket yet, and Node never
    // closes it when the client leaves: watch the connection itself, or this exchange
    // (and its upstream request) would be held forever.
    if (init.res.socket === null && init.req.socket !== null) watchQueued((this.#conn = init.req.socket), this);
  }

  /**
   * Reads the whole request body first (memory, then a temp file, as `settings` say; see
   * request-body.ts), so no server waits on a slow upload and retries can replay it, then
   * runs. A client that goes away meanwhile ends the exchange as aborted.
   */
  bufferThenRun(settings: BodyBufferSettings): void {
    this.#cancelBody = bufferBody(this.#body instanceof Readable ? this.#body : this.req, settings, (err, body) => {
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

  /** Attempts made so far (retries included). */
  get attempts(): number {
    return this.#attempts;
  }

  /** Picks a server and dispatches, or queues when every server is busy, or answers 503. */
  run(): void {
    if (this.#done) return;
    const aff = this.upstream.affinity;
    if (aff !== undefined && this.#attempts === 0) {
      const key = (this.#stickyKey = aff.key(this.req, this.#i.ctx.clientIp));
      this.#secure = isTls(this.req, this.res);
      // A key this node does not hold may be pinned by another node: wait (the store bounds
      // it by fleet.timeout) for the pin to be read into the local table, then run again.
      const wait = key === undefined || this.#lookedUp ? undefined : aff.lookup(key);
      this.#lookedUp = true;
      if (wait !== undefined) return void wait.then(() => this.run());
      const pinned = key === undefined ? undefined : aff.pinned(key, this.upstream.servers.all);
      const free = pinned !== undefined && pinned.activeRequests < this.upstream.maxConcurrent;
      // Noted once: a request woken from the queue keeps "…,queued".
      if (this.steer === '' && key !== undefined) this.steer = free ? 'sticky' : aff.missReason(key);
      if (free) return this.#dispatch(pinned);
    }
    const server = this.upstream.pick(this.#i.ctx, this.#retries?.tried);
    if (server !== undefined) return this.#dispatch(server);
    if (this.#attempts === 0 && this.upstream.saturated && this.upstream.pending?.enqueue(this)) {
      this.#queued = true;
      this.steer = this.steer === '' ? 'queued' : `${this.steer},queued`;
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
    const a = new Attempt(this, server, this.#attempts > 0);
    this.#attempts++;
    this.server = server;
    this.#attempt = a;
    this.#retries?.started(a);
    this.upstream.attemptStart(server);
    const i = this.#i;
    // servername: a constant per server, so undici does not take one from the client's Host
    // (and reconnect when it changes); the pool's connector sends the server's own (upstream-build).
    const opts: Dispatcher.DispatchOptions & { servername: string } = { path: i.path, method: i.req.method!, headers: i.headers, body: attemptBody(this.#body), servername: server.origin };
    this.upstream.dispatcher(server, i.req).dispatch(opts, a);
  }

  /** Reports an attempt's outcome (once) and frees its slot. */
  #endAttempt(a: Attempt, outcome: AttemptOutcome): void {
    if (a.ended) return;
    a.ended = true;
    this.#retries?.ended(a);
    this.upstream.attemptEnd(a.server, outcome);
  }

  /** Where a retry of this failed attempt goes, if one is allowed (see retry.ts). */
  #retryTarget(outcome: AttemptOutcome): Server | undefined {
    const r = this.#retries;
    if (r === undefined || this.#done || this.res.headersSent) return undefined;
    return r.target(outcome, this.#i.req.method!, replayable(this.#body), this.#i.ctx);
  }

  attemptStarted(a: Attempt): void {
    // The client may have gone away, or the try timed out, while it waited in the pool's queue.
    if (this.#done) a.abort!(clientAborted());
    else if (a.timedOut !== undefined) a.abort!(a.timedOut);
  }

  attemptHead(a: Attempt, status: number, rawHeaders: Buffer[], statusMessage: string): void {
    if (a.timer !== undefined) clearTimeout(a.timer);
    this.upstream.ttfb.observe(performance.now() - a.sent);
    if (this.#done || a !== this.#attempt) return;
    // A 502/503/504 may be held back, to be retried when it ends (see retry.ts).
    const r = this.#retries;
    if (r !== undefined && !this.res.headersSent && r.hold(a, status, this.req.method!, replayable(this.#body), this.#i.ctx)) return;
    this.status = status;
    if (this.#drain.closesConnection(this.req)) this.res.shouldKeepAlive = false;
    const head = forwardResponseHeaders(rawHeaders, this.requestId);
    // After the hop-by-hop filtering, before bulwark's own cookies (which a rule cannot remove).
    this.#i.route?.responseHeaders?.apply(head, { clientIp: this.#i.ctx.clientIp ?? '', requestId: this.requestId });
    if (this.#i.setCookie !== undefined) head.push('set-cookie', this.#i.setCookie);
    const aff = this.upstream.affinity;
    if (aff !== undefined) {
      const cookie = aff.commit(this.#stickyKey, a.server, head, this.#secure);
      if (cookie !== undefined) head.push('set-cookie', cookie);
    }
    this.#out.head(status, head, statusMessage, this.req.method === 'HEAD');
  }

  attemptData(a: Attempt, chunk: Buffer): boolean {
    return a !== this.#attempt || this.#out.data(chunk);
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

  attemptEnd(a: Attempt, trailers?: RawTrailers | null): void {
    if (a.heldStatus !== 0) return this.#heldDone(a);
    this.#endAttempt(a, responseOutcome(this.status));
    if (this.#done) return;
    if (trailers != null && trailers.length > 0) this.#out.trailers(trailers);
    // The server is done and its connection free; a slow client may still be fed from the spool.
    if (this.#out.end()) this.#finish();
  }

  attemptError(a: Attempt, err: Error): void {
    if (a.ended) return;
    if (this.#done) return this.#endAttempt(a, CANCELLED);
    if (a.heldStatus !== 0) return this.#heldDone(a);
    const f = upstreamFailure(err);
    const next = this.#retryTarget(f.outcome);
    this.#endAttempt(a, f.outcome);
    if (next !== undefined) return this.#dispatch(next);
    this.error = f.code;
    this.detail = err instanceof BulwarkError ? err.message : `upstream ${a.server.name}: ${describeUpstreamError(err)}`;
    if (!this.res.headersSent) {
      this.status = f.status;
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
    const next = this.#retries!.afterHeld(a, this.#i.ctx);
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
    this.#out.drained();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#conn !== undefined) unwatch(this.#conn, this);
    this.#out.close();
    this.#cancelBody?.();
    releaseBody(this.#body);
    this.upstream.exchangeEnded();
    this.#retries?.finished(this.status, this.error);
    this.#onDone(this);
  }
}

function clientAborted(): BulwarkError {
  return new BulwarkError(ErrorCodes.CLIENT_ABORTED, 'client closed the connection', 499);
}
