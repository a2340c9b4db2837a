/**
 * @module runtime/group/entry
 * The script a group's primary forks its workers with (cluster.setupPrimary's `exec`):
 * runs one worker and exits with its code.
 */
import { runWorker } from './worker.js';

runWorker().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bulwark worker ${process.pid}: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
