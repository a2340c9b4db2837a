/**
 * @module proxy/access-record
 * What the request path tells about each answered request: its access record (handed to
 * the log's sink), and the per-upstream counts and durations that metrics read at scrape
 * time. Plain numbers and maps only: proxy/ imports no logger and no metrics.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from '../core/latency.js';
import { statusClass } from '../core/server.js';
import { clientAddress } from './client-address.js';
import { takeBytesRead, takeBytesWritten } from './connection.js';

/** One access-log entry; handed to `onAccess` after the response ends or fails. */
export interface AccessRecord {
  /** Epoch ms when the request arrived. */
  readonly time: number;
  readonly method: string;
  readonly path: string;
  /** "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0": what the client spoke. */
  readonly protocol: string;
  readonly status: number;
  readonly upstream: string | undefined;
  readonly server: string | undefined;
  readonly duration_ms: number;
  readonly request_id: string;
  /** BLWK_ code for failed exchanges, "" otherwise. */
  readonly error: string;
  /** What went wrong, for operators ("" when nothing did); never sent to the client. */
  readonly detail: string;
  /** The client's address ("" when unknown): the peer, or as client-address.ts settles it behind trusted proxies. */
  readonly client: string;
  /** The Host header as sent ("" when absent): any bytes, the log escapes them. */
  readonly host: string;
  /** This request's share of the bytes read from and written to the client connection (see connection.ts). */
  readonly bytes_in: number;
  readonly bytes_out: number;
  /** Upstream attempts made (0: answered by bulwark itself). */
  readonly attempts: number;
  /** What steered the choice of server ("" when the scheduler chose freely; see Exchange.steer). */
  readonly steer: string;
}

/**
 * The access record of a request that arrived at `start` (performance.now()) and ends now.
 * Takes the connection's byte counts since its last record, so call it once per request.
 */
export function accessRecord(req: IncomingMessage, start: number, id: string, status: number, upstream: string | undefined, server: string | undefined, error: string, detail: string, host: string, attempts: number, steer: string): AccessRecord {
  return {
    time: Math.round(performance.timeOrigin + start),
    method: req.method ?? '',
    path: req.url ?? '',
    protocol: req.httpVersionMajor === 2 ? 'HTTP/2.0' : req.httpVersionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
    status,
    upstream,
    server,
    duration_ms: Math.round((performance.now() - start) * 1000) / 1000,
    request_id: id,
    error,
    detail,
    // Settled at arrival (request-head.ts), so it is known even after the socket closed.
    client: clientAddress(req),
    host,
    bytes_in: takeBytesRead(req.socket),
    bytes_out: takeBytesWritten(req.socket),
    attempts,
    steer,
  };
}

/** Counts an answer with `status` for `upstream` ("" when none was routed), by statusClass index. */
export function countAnswer(answered: Map<string, number[]>, upstream: string, status: number): void {
  let c = answered.get(upstream);
  if (c === undefined) answered.set(upstream, (c = [0, 0, 0, 0, 0, 0]));
  c[statusClass(status)]!++;
}

/** Times a request to `upstream` that arrived at `start` (performance.now()) and ends now. */
export function observeDuration(durations: Map<string, LatencyHistogram>, upstream: string, start: number): void {
  let h = durations.get(upstream);
  if (h === undefined) durations.set(upstream, (h = new LatencyHistogram()));
  h.observe(performance.now() - start);
}
