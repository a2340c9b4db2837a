/**
 * @module proxy/attempt
 * One try of a request against one server: the undici dispatch handler. It only relays
 * events to its Exchange, tagged with itself, so a late event from an abandoned attempt
 * (one being retried elsewhere) can be told apart from the live one.
 *
 * It implements undici's raw handler interface (onConnect/onHeaders/onData/onComplete/
 * onError), which undici 7 marks deprecated in favour of onRequestStart/onResponseStart…
 * but still runs natively: its Request calls exactly these. A handler in the new style is
 * wrapped per request (a wrapper, a controller, and the response head parsed into an
 * object that bulwark would only flatten again); the raw form hands over the head as the
 * flat [name, value, ...] Buffer list that forwardResponseHeaders() needs. The bench
 * (`npm run bench`) measured the wrapper at several % of bulwark's CPU per request.
 * If undici drops the raw form, revert to onRequestStart/onResponseStart (controller.pause
 * replaces returning false from onData).
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Server } from '../core/server.js';

/** undici's raw trailer list: Buffers at run time, typed as strings by undici's handler interface. */
export type RawTrailers = ReadonlyArray<Buffer | string>;

/** What an Attempt reports to; implemented by Exchange. */
export interface AttemptOwner {
  readonly finished: boolean;
  attemptStarted(a: Attempt): void;
  /** `rawHeaders`: undici's flat [name, value, ...] list of the response head. */
  attemptHead(a: Attempt, status: number, rawHeaders: Buffer[], statusMessage: string): void;
  /** Returns false to pause the upstream body until `Attempt.resume()`. */
  attemptData(a: Attempt, chunk: Buffer): boolean;
  /** `trailers`: undici's flat [name, value, ...] list of the response's trailer section. */
  attemptEnd(a: Attempt, trailers?: RawTrailers | null): void;
  attemptError(a: Attempt, err: Error): void;
}

export class Attempt implements Dispatcher.DispatchHandler {
  readonly owner: AttemptOwner;
  readonly server: Server;
  /** True for the second and later tries of a request (counted against the retry budget). */
  readonly isRetry: boolean;
  /** undici's abort for this request; null until the request leaves the pool's queue. Safe to call late. */
  abort: ((err: Error) => void) | null = null;
  /** undici's resume for a paused body (set with the response head). */
  #resume: (() => void) | null = null;
  /** Set when this attempt's response is held back for a retry: its body is dropped. */
  heldStatus = 0;
  /** Where the held-back response will be retried. */
  retryTo: Server | undefined;
  /** The per_try_timeout timer (retries configured only). */
  timer: NodeJS.Timeout | undefined;
  /** Set when per_try_timeout fired: the error the try is aborted with. */
  timedOut: Error | undefined;
  /** Set once the attempt's outcome has been reported. */
  ended = false;
  /** performance.now() at dispatch. */
  readonly sent = performance.now();

  constructor(owner: AttemptOwner, server: Server, isRetry: boolean) {
    this.owner = owner;
    this.server = server;
    this.isRetry = isRetry;
  }

  /** Resumes a body paused by backpressure (a no-op when it is not paused). */
  resume(): void {
    this.#resume?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.owner.attemptStarted(this);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx interim responses are not forwarded
    this.#resume = resume;
    this.owner.attemptHead(this, statusCode, rawHeaders, statusText);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.heldStatus !== 0 || this.owner.attemptData(this, chunk);
  }

  onComplete(trailers: RawTrailers | null): void {
    this.owner.attemptEnd(this, trailers);
  }

  onError(err: Error): void {
    this.owner.attemptError(this, err);
  }
}
