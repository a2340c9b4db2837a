/**
 * @module log
 * Structured JSON logs (pino) and the access log, both through one batching LineWriter so
 * lines stay in order, unless log.access_file gives the access log a file (and a writer)
 * of its own (see access-log.ts). Access lines are formatted by hand, in pino's line shape
 * (access-line.ts) or the combined shape (access-combined.ts), straight into the writer's
 * buffer. The proxy only calls the sink; it never imports a logger.
 */
import pino from 'pino';
import type { LogLevel } from '../core/config.js';
import type { AccessRecord } from '../proxy/access-record.js';
import { AccessLog, type AccessSettings } from './access-log.js';
import { LineWriter } from './line-writer.js';

export { accessSink, checkAccessFile, type AccessSettings } from './access-log.js';

export interface Logging {
  readonly logger: pino.Logger;
  /**
   * Writes one access line, in the format and to the destination last configured: a new
   * function after `configureAccess` or `reopen` (take it again then; see AccessLog.sink).
   */
  readonly access: (r: AccessRecord) => void;
  /** Follows log.access_format and log.access_file; throws, changing nothing, when the file cannot be opened. */
  configureAccess(s: AccessSettings): void;
  /** Reopens the access-log file at its path (logrotate's SIGUSR1); throws, keeping the old one, if it cannot. */
  reopen(): void;
  /** Writes out everything logged so far. */
  flush(): Promise<void>;
  /** Synchronous best effort, for a forced exit. */
  flushSync(): void;
  /** Writes out everything and closes the access-log file. */
  close(): Promise<void>;
}

/** `access`: the access log's settings (default: JSON, with the other lines). Throws when its file cannot be opened. */
export function createLogging(level: LogLevel, dest?: pino.DestinationStream, access?: AccessSettings): Logging {
  const writer = dest === undefined ? new LineWriter() : undefined;
  const stream: pino.DestinationStream = dest ?? writer!;
  const logger = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, stream);
  const accessLog = new AccessLog({ writer, stream });
  if (access !== undefined) accessLog.configure(access);
  const flush = async (): Promise<void> => {
    await accessLog.flush();
    await writer?.flush();
  };
  return {
    logger,
    get access() {
      return accessLog.sink;
    },
    configureAccess: (s) => accessLog.configure(s),
    reopen: () => accessLog.reopen(),
    flush,
    flushSync: () => {
      accessLog.flushSync();
      writer?.flushSync();
    },
    close: async () => {
      await accessLog.close();
      await flush();
    },
  };
}
