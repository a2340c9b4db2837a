/**
 * @module backup/agent/errors
 * How the `bulwark backup` commands and the agent report failures. Each is a BulwarkError
 * (core/errors.ts) with a stable BLWK_ code; BLWK_USAGE means the command was used wrongly
 * (exit status 2), any other failure exits 1.
 */
import { BulwarkError, ErrorCodes } from '../../core/errors.js';

/** The command was used wrongly (exit status 2). */
export function usageError(message: string): BulwarkError {
  return new BulwarkError(ErrorCodes.USAGE, message);
}

/** What to print for `err`: the message, with the stable code of a BulwarkError. */
export function describeError(err: unknown): string {
  if (err instanceof BulwarkError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

/** The exit status for `err`: 2 for a usage error, else 1. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof BulwarkError && err.code === ErrorCodes.USAGE ? 2 : 1;
}
