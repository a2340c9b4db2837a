/**
 * @module log
 * Structured JSON logs (pino) and the access log, both through one batching LineWriter so
 * lines stay in order. Access lines are formatted by hand in pino's line shape (see
 * access-line.ts), straight into the writer's buffer. The proxy only calls the sink; it
 * never imports a logger.
 */
import pino from 'pino';
import type { LogLevel } from '../core/config.js';
import type { AccessRecord } from '../proxy/proxy.js';
import { AccessLineWriter, accessLineBound, accessLineText } from './access-line.js';
import { LineWriter } from './line-writer.js';

export interface Logging {
  readonly logger: pino.Logger;
  readonly access: (r: AccessRecord) => void;
  /** Writes out everything logged so far. */
  flush(): Promise<void>;
  /** Synchronous best effort, for a forced exit. */
  flushSync(): void;
}

export function createLogging(level: LogLevel, dest?: pino.DestinationStream): Logging {
  const writer = dest === undefined ? new LineWriter() : undefined;
  const stream: pino.DestinationStream = dest ?? writer!;
  const logger = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, stream);
  return {
    logger,
    access: accessSink(writer, stream),
    flush: () => writer?.flush() ?? Promise.resolve(),
    flushSync: () => writer?.flushSync(),
  };
}

/**
 * The access-log sink: each line goes straight into `writer`'s batch buffer when it has
 * nothing to escape (nearly always), else to `stream` as text; both give the same bytes.
 * Without a writer every line goes to `stream` as text.
 */
export function accessSink(writer: LineWriter | undefined, stream: { write(text: string): unknown }, pid = process.pid): (r: AccessRecord) => void {
  const lines = new AccessLineWriter(pid);
  return (r: AccessRecord): void => {
    if (writer !== undefined && writer.writeWith(accessLineBound(r), lines.write, r)) return;
    stream.write(accessLineText(r, pid));
  };
}
