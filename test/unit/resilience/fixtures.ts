/**
 * @module test/unit/resilience/fixtures
 * Attempt outcomes and a flag-event recorder for the resilience tests, which drive the
 * observers directly with a ManualClock (they do no I/O).
 */
import type { AttemptOutcome } from '../../../src/core/outcome.js';
import type { Server } from '../../../src/core/server.js';

export const ok: AttemptOutcome = { result: 'response', status: 200, code: '' };
export const cancelled: AttemptOutcome = { result: 'cancelled', status: 0, code: 'BLWK_CLIENT_ABORTED' };
export const refused: AttemptOutcome = { result: 'connect_failure', status: 0, code: 'ECONNREFUSED' };
export const reset: AttemptOutcome = { result: 'reset', status: 0, code: 'ECONNRESET' };

export function status(code: number): AttemptOutcome {
  return { result: 'response', status: code, code: '' };
}

/** Reports `outcome` `times` times for `server` to `observer`. */
export function report(
  observer: { onAttemptEnd(server: Server, outcome: AttemptOutcome): void },
  server: Server,
  outcome: AttemptOutcome,
  times = 1,
): void {
  for (let i = 0; i < times; i++) observer.onAttemptEnd(server, outcome);
}

/** Records every flag change of `servers` as "s1 +ejected: reason" / "s1 -ejected: reason". */
export function recordFlags(servers: readonly Server[]): string[] {
  const events: string[] = [];
  for (const s of servers) {
    s.onFlagChange((c) => events.push(`${c.server.name} ${c.set ? '+' : '-'}${c.flag}: ${c.reason}`));
  }
  return events;
}
