/**
 * @module runtime/running
 * `bulwark start`'s process, whichever shape the config asks for: one App (`workers: 1`,
 * the default) or a worker group's primary (runtime/group). The CLI drives either the same
 * way (runtime/start): signals reload, reopen the logs or stop it.
 */
import type { Logging } from '../log/index.js';
import type { ReloadOutcome, ReloadTrigger } from './reload.js';

export interface Running {
  readonly logging: Logging;
  /** Re-reads the config file and applies it (to every worker too). Never throws. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  /** Reopens the access-log file (SIGUSR1). Never throws. */
  reopenLogs(): void;
  /** Drains every in-flight request and stops; true when all finished in time. */
  stop(): Promise<boolean>;
}
