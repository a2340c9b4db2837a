// The lifecycle of a benchmark script: a temp folder, and the guarantee that every child
// process started through proc.js is stopped and the folder removed however the run ends
// (normally, on an error, on Ctrl-C / SIGTERM, or when it overruns its time budget).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopAll } from './proc.js';

/**
 * Creates the run's temp folder and installs the signal handlers (exit 130) and the hard
 * time budget (exit 1). Returns { tmpDir, cleanup }: cleanup() stops every child and
 * removes tmpDir (once, however often it is called) and resolves when done.
 */
export function guardRun(name, budgetMs) {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `bulwark-${name}-`));
  let cleaned;
  const cleanup = () => (cleaned ??= stopAll().finally(() => fs.rmSync(tmpDir, { recursive: true, force: true })));
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping children...`);
      cleanup().finally(() => process.exit(130));
    });
  }
  setTimeout(() => {
    console.error(`${name} benchmark exceeded its ${Math.round(budgetMs / 1000)} s budget; aborting`);
    cleanup().finally(() => process.exit(1));
  }, budgetMs).unref();
  return { tmpDir, cleanup };
}

/** Awaits `run` (a promise of an exit code), cleans up, and exits with that code (1 if it threw). */
export function exitAfter(run, cleanup) {
  run
    .then(
      (code) => cleanup().then(() => code),
      (e) => {
        console.error(e);
        return cleanup().then(() => 1);
      },
    )
    .then((code) => process.exit(code));
}
