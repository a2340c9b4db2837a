/**
 * @module proxy/attempt
 * One try of a request against one server: the undici dispatch handler. It only relays
 * events to its Exchange, tagged with itself, so a late event from an abandoned attempt
 * (one being retried elsewhere) can be told apart from the live one.
 */
import type { Dispatcher } from 'undici';
import type { Server } from '../core/server.js';

type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

/** What an Attempt reports to; implemented by Exchange. */
export interface AttemptOwner {
  readonly finished: boolean;
  attemptStarted(a: Attempt, controller: Controller): void;
  attemptHead(a: Attempt, status: number, headers: Headers, statusMessage: string | undefined): void;
  attemptData(a: Attempt, controller: Controller, chunk: Buffer): void;
  attemptEnd(a: Attempt): void;
  attemptError(a: Attempt, err: Error): void;
}

export class Attempt implements Dispatcher.DispatchHandler {
  readonly owner: AttemptOwner;
  readonly server: Server;
  /** True for the second and later tries of a request (counted against the retry budget). */
  readonly isRetry: boolean;
  controller: Controller | null = null;
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

  constructor(owner: AttemptOwner, server: Server, isRetry: boolean) {
    this.owner = owner;
    this.server = server;
    this.isRetry = isRetry;
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    this.owner.attemptStarted(this, controller);
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Headers, statusMessage?: string): void {
    if (statusCode < 200) return; // 1xx interim responses are not forwarded
    this.owner.attemptHead(this, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.heldStatus === 0) this.owner.attemptData(this, controller, chunk);
  }

  onResponseEnd(): void {
    this.owner.attemptEnd(this);
  }

  onResponseError(_c: Controller, err: Error): void {
    this.owner.attemptError(this, err);
  }
}
