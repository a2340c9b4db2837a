/**
 * @module test/helpers/chrt
 * Whether util-linux's chrt is installed: the backup agent's `cpu_class: idle` moves it to
 * SCHED_IDLE with chrt, and tests check the policy only where it could be set.
 */
import { execFileSync } from 'node:child_process';

export function hasChrt(): boolean {
  try {
    execFileSync('chrt', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
