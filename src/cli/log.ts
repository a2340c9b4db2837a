/**
 * @module cli/log
 * Structured JSON logs (pino) and the access log, both through one batching LineWriter so
 * lines stay in order. Access lines are formatted by hand in pino's line shape (level 30,
 * epoch-ms time, flat request fields): one string build per request, escaping only where a
 * value can need it. The proxy only calls the sink; it never imports a logger.
 */
import pino from 'pino';
import type { LogLevel } from '../core/config.js';
import { jsonString as q } from '../core/format.js';
import type { AccessRecord } from '../proxy/proxy.js';
import { LineWriter } from './log-writer.js';

export interface Logging {
  readonly logger: pino.Logger;
  readonly access: (r: AccessRecord) => void;
  /** Writes out everything logged so far. */
  flush(): Promise<void>;
  /** Synchronous best effort, for a forced exit. */
  flushSync(): void;
}

/** ".001" … ".999" (trailing zeros dropped, as JSON.stringify prints them), "" for 0. */
const MS_FRACTION = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

export function createLogging(level: LogLevel, dest?: pino.DestinationStream): Logging {
  const writer = dest === undefined ? new LineWriter() : undefined;
  const stream: pino.DestinationStream = dest ?? writer!;
  const logger = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, stream);
  // Number-to-text of non-small numbers is the costly part of a line: the time (13 digits)
  // is reused while it stays the same millisecond, and the duration is printed from whole
  // microseconds (small integers) plus a table of the 1000 fractions.
  let lastTime = -1;
  let lastTimeText = '';
  const access = (r: AccessRecord): void => {
    if (r.time !== lastTime) lastTimeText = String((lastTime = r.time));
    const us = Math.round(r.duration_ms * 1000);
    // Upstream and server names are validated config names ([A-Za-z0-9_.-]); method is an
    // HTTP token (Node's parser enforces it), so only path and request id need checking.
    stream.write(
      `{"level":30,"time":${lastTimeText},"msg":"access","method":"${r.method}","path":${q(r.path)},"status":${r.status},` +
        `"upstream":${r.upstream === undefined ? 'null' : `"${r.upstream}"`},"server":${r.server === undefined ? 'null' : `"${r.server}"`},` +
        `"duration_ms":${Math.floor(us / 1000)}${MS_FRACTION[us % 1000]},"request_id":${q(r.request_id)}${r.error === '' ? '' : `,"error":"${r.error}"`}}\n`,
    );
  };
  return {
    logger,
    access,
    flush: () => writer?.flush() ?? Promise.resolve(),
    flushSync: () => writer?.flushSync(),
  };
}
