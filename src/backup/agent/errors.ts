/**
 * @module backup/agent/errors
 * The one error type of the `bulwark backup` commands: a message for a person and the exit
 * status it means (1: the command failed; 2: it was used wrongly).
 */
import { BulwarkError } from '../../core/errors.js';

export class CommandError extends Error {
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}

/** What to print for `err`: the message, with the stable code of a BulwarkError. */
export function describeError(err: unknown): string {
  if (err instanceof CommandError) return err.message;
  if (err instanceof BulwarkError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

/** The exit status for `err`. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof CommandError ? err.exitCode : 1;
}
