/**
 * @module core/outcome
 * What the forwarding path reports about each attempt to a server. The proxy emits these
 * to the upstream's observers (outlier detection, the error-rate breaker, slow start…);
 * observers never call each other or the proxy. Envoy's putHttpResponseCode / putResult.
 */
import type { Server } from './server.js';

/**
 * How an attempt ended, from the server's point of view:
 * - `response`: the server sent a response head (see `status`);
 * - `connect_failure`: no connection (refused, unreachable, connect timeout): no byte of
 *   the request reached the server;
 * - `reset`: the connection broke after it was made, before a complete response;
 * - `timeout`: response-header or per-try timeout, or body idle timeout;
 * - `bad_response`: the server sent something that is not valid HTTP;
 * - `cancelled`: bulwark gave up on it (client went away, drain): not the server's fault.
 */
export type AttemptResult = 'response' | 'connect_failure' | 'reset' | 'timeout' | 'bad_response' | 'cancelled';

export interface AttemptOutcome {
  readonly result: AttemptResult;
  /** The response status when result is 'response', else 0. */
  readonly status: number;
  /** The error code for failures ("" for responses). */
  readonly code: string;
}

/** "Gateway failures" in Envoy's sense: the server could not produce a response. */
export function isGatewayFailure(o: AttemptOutcome): boolean {
  return o.result === 'connect_failure' || o.result === 'reset' || o.result === 'timeout' || o.result === 'bad_response';
}

/** A failure for error-rate purposes: a gateway failure or a 5xx response. */
export function isFailure(o: AttemptOutcome): boolean {
  return isGatewayFailure(o) || (o.result === 'response' && o.status >= 500);
}

/**
 * Watches attempts on one upstream's servers. Called on the hot path: implementations must
 * be cheap and must not throw. `onAttemptStart` and `onAttemptEnd` pair up exactly once
 * per attempt that reached the dispatch stage.
 */
export interface AttemptObserver {
  onAttemptStart?(server: Server): void;
  onAttemptEnd?(server: Server, outcome: AttemptOutcome): void;
}

/** Shared, frozen outcomes of answered attempts, one per status (no allocation per request). */
const RESPONSE_OUTCOMES = new Map<number, AttemptOutcome>();

/** The outcome of an attempt the server answered with `status`. */
export function responseOutcome(status: number): AttemptOutcome {
  let o = RESPONSE_OUTCOMES.get(status);
  if (o === undefined) RESPONSE_OUTCOMES.set(status, (o = Object.freeze({ result: 'response', status, code: '' })));
  return o;
}
