/**
 * The backup agent lowers the priority of every thread of its process, not only the main
 * one: on Linux nice is per thread, and V8's garbage-collection and compiler threads exist
 * before the agent's code runs. Checked in a child process (nice can't be raised back).
 * cpu_class `low` (the default) is nice 10 in the normal scheduling class; `idle` is nice 19
 * and, with util-linux's chrt, the idle scheduling class SCHED_IDLE.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasChrt } from '../../helpers/chrt.js';
import { CLI } from '../../helpers/cli.js';

const AGENT_MODULE = pathToFileURL(join(dirname(CLI), '..', 'backup', 'agent', 'agent.js')).href;

/** nice and scheduling policy of every thread of a child process after lowerPriority(cpuClass). */
function lowered(cpuClass: string): { nice: number[]; policy: number[] } {
  const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      const { lowerPriority } = await import(${JSON.stringify(AGENT_MODULE)});
      lowerPriority(${JSON.stringify(cpuClass)});
      const stats = readdirSync('/proc/self/task').map((t) => readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' '));
      // Fields 19 (nice) and 41 (policy) of proc(5), counted from field 3 here.
      console.log(JSON.stringify({ nice: stats.map((f) => Number(f[16])), policy: stats.map((f) => Number(f[38])) }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { nice: number[]; policy: number[] };
}

describe.runIf(process.platform === 'linux')('lowerPriority', () => {
  it('low: nice 10 on every thread of the process, normal scheduling class', () => {
    const r = lowered('low');
    expect(r.nice.length).toBeGreaterThan(1); // V8 helper threads are there
    expect(new Set(r.nice)).toEqual(new Set([10]));
    expect(new Set(r.policy)).toEqual(new Set([0])); // SCHED_OTHER
  });

  it('idle: nice 19 and the idle scheduling class on every thread', () => {
    const r = lowered('idle');
    expect(r.nice.length).toBeGreaterThan(1);
    expect(new Set(r.nice)).toEqual(new Set([19]));
    // SCHED_IDLE (5) on every thread where chrt (util-linux) is installed; else unchanged (0).
    expect(new Set(r.policy)).toEqual(new Set([hasChrt() ? 5 : 0]));
  });
});
