/**
 * @module health/probe
 * What the http and tcp probes share: one attempt runs on its own connection under a real
 * deadline (probes are about real I/O, so they never use the injected Clock) and an abort
 * signal, and always settles with an outcome instead of throwing.
 *
 * Callers must guarantee that `start` calls `done` for every way the attempt can end and
 * returns a function that destroys its connection; runProbe calls that function exactly
 * once, whichever way the attempt settles (success, failure, timeout or abort).
 */
import { ErrorCodes } from '../core/errors.js';
import type { Server } from '../core/server.js';
import { upstreamFailure } from '../core/upstream-failure.js';

export interface ProbeOutcome {
  readonly ok: boolean;
  /** Short and stable: "HTTP 200", "connect ECONNREFUSED", "timeout after 1000ms"... */
  readonly detail: string;
}

/** One check of one server. Never rejects; an aborted probe settles with detail "aborted". */
export type Probe = (server: Server, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface Endpoint {
  /** Host name or IP as `net.connect` wants it (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** "host:port" as written in the origin (no port when it is the scheme's default). */
  readonly authority: string;
}

/** Splits a server origin such as "http://127.0.0.1:3001" into what a connection needs. */
export function endpointOf(origin: string): Endpoint {
  const url = new URL(origin);
  const tls = url.protocol === 'https:';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : tls ? 443 : 80,
    tls,
    authority: url.host,
  };
}

/**
 * A short detail for a failed attempt: "tls CERT_HAS_EXPIRED" (any code the one failure
 * table calls a TLS failure), "connect ECONNREFUSED" before the TCP connection was made,
 * "reset ECONNRESET" when it broke afterwards, "bad response HPE_..." for a response that
 * is not valid HTTP, else the error code (or message).
 */
export function describeFailure(err: unknown, connected: boolean): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const what = code ?? (typeof e?.message === 'string' ? e.message : String(err));
  if (code !== undefined && upstreamFailure(err).code === ErrorCodes.UPSTREAM_TLS) return `tls ${code}`;
  if (!connected) return `connect ${what}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `reset ${code}`;
  if (code?.startsWith('HPE_')) return `bad response ${code}`;
  return `error ${what}`;
}

export type Done = (outcome: ProbeOutcome) => void;

/** Runs one attempt; the first `done`, the deadline or the abort settles it. */
export function runProbe(timeoutMs: number, signal: AbortSignal, start: (done: Done) => () => void): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let destroy: (() => void) | undefined;
    const finish: Done = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      destroy?.();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ ok: false, detail: 'aborted' });
    const timer = setTimeout(() => finish({ ok: false, detail: `timeout after ${timeoutMs}ms` }), timeoutMs);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const d = start(finish);
      if (settled) d();
      else destroy = d;
    } catch (err) {
      finish({ ok: false, detail: describeFailure(err, false) });
    }
  });
}
