/**
 * @module backup/agent/errors
 * How the `bulwark backup` commands and the agent report failures. Each is a BulwarkError
 * (core/errors.ts) with a stable BLWK_ code; BLWK_USAGE means the command was used wrongly
 * (exit status 2), any other failure exits 1.
 */
import { BulwarkError, ErrorCodes } from '../../core/errors.js';

export { describeError } from '../../core/errors.js';

/** The command was used wrongly (exit status 2). */
export function usageError(message: string): BulwarkError {
  return new BulwarkError(ErrorCodes.USAGE, message);
}

/** The exit status for `err`: 2 for a usage error, else 1. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof BulwarkError && err.code === ErrorCodes.USAGE ? 2 : 1;
}
