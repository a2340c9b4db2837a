/**
 * @module cli/log
 * Structured JSON logs on stdout (pino), plus the access log. Access lines are written
 * straight to pino's async destination in pino's line format: one JSON object per line,
 * level 30, with the request fields flat. Hand-formatting them keeps per-request cost to
 * one string build; the proxy only calls the sink, it never imports a logger.
 */
import pino from 'pino';
import type { LogLevel } from '../core/config.js';
import type { AccessRecord } from '../proxy/proxy.js';

export interface Logging {
  readonly logger: pino.Logger;
  readonly access: (r: AccessRecord) => void;
  /** Flushes buffered lines synchronously (call before exit). */
  flush(): void;
}

interface SyncFlushable extends pino.DestinationStream {
  flushSync?: () => void;
}

export function createLogging(level: LogLevel, dest?: pino.DestinationStream): Logging {
  const stream: SyncFlushable = dest ?? pino.destination({ dest: 1, sync: false });
  const logger = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, stream);
  const access = (r: AccessRecord): void => {
    stream.write(
      `{"level":30,"time":${r.time},"msg":"access","method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},` +
        `"status":${r.status},"upstream":${r.upstream === undefined ? 'null' : JSON.stringify(r.upstream)},` +
        `"server":${r.server === undefined ? 'null' : JSON.stringify(r.server)},"duration_ms":${r.duration_ms},` +
        `"request_id":${JSON.stringify(r.request_id)}${r.error === '' ? '' : `,"error":${JSON.stringify(r.error)}`}}\n`,
    );
  };
  return {
    logger,
    access,
    flush: () => {
      try {
        stream.flushSync?.();
      } catch {
        // Destination not ready yet or already closed: nothing buffered to lose.
      }
    },
  };
}
