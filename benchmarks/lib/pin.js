// Pinned placement (BENCH_PIN=PROXY:REST, CPU lists as taskset takes them, e.g. "1:0" or
// "2-3:0-1"): the proxy under test gets the PROXY cores to itself, and the harness (with its
// autocannon) and the origins share the REST. Unpinned, the load generator, the origins and
// the proxy compete for the same cores, and how much CPU the proxy leaves to the others
// moves its req/s and p99 as much as its own cost does. Linux only (taskset, util-linux).
import { execFileSync } from 'node:child_process';

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** { proxy, rest } from BENCH_PIN, or null when unset. Throws on a malformed value. */
export function parsePin(value) {
  if (value === undefined || value === '') return null;
  const [proxy, rest, extra] = value.split(':');
  if (extra !== undefined || !CPU_LIST.test(proxy ?? '') || !CPU_LIST.test(rest ?? '')) {
    throw new Error(`BENCH_PIN must be PROXY_CPUS:OTHER_CPUS as taskset -c takes them (e.g. "1:0"), got "${value}"`);
  }
  return { proxy, rest };
}

export const PIN = parsePin(process.env.BENCH_PIN);

/** Moves this process (every thread) onto the REST cores; children started later inherit them. */
export function pinHarness() {
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', PIN.rest, String(process.pid)], { stdio: 'ignore' });
}

/**
 * [command, args] that run `cmd args` on the PROXY cores. taskset execs the command, so
 * the child's pid (whose CPU time the bench reads) is the proxy's.
 */
export function proxyCommand(cmd, args) {
  return PIN ? ['taskset', ['-c', PIN.proxy, cmd, ...args]] : [cmd, args];
}
