/**
 * The backup agent lowers the priority of every thread of its process, not only the main
 * one: on Linux nice is per thread, and V8's garbage-collection and compiler threads exist
 * before the agent's code runs. Checked in a child process (nice can't be raised back).
 * With util-linux's chrt the agent also joins the idle scheduling class, SCHED_IDLE.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';

const AGENT_MODULE = pathToFileURL(join(dirname(CLI), 'backup', 'agent.js')).href;

function hasChrt(): boolean {
  try {
    execFileSync('chrt', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.platform === 'linux')('lowerPriority', () => {
  it('sets the nice value (and the idle scheduling class) of every thread of the process', () => {
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      const { lowerPriority } = await import(${JSON.stringify(AGENT_MODULE)});
      lowerPriority(7);
      const stats = readdirSync('/proc/self/task').map((t) => readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' '));
      // Fields 19 (nice) and 41 (policy) of proc(5), counted from field 3 here.
      console.log(JSON.stringify({ nice: stats.map((f) => Number(f[16])), policy: stats.map((f) => Number(f[38])) }));`;
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { nice: number[]; policy: number[] };
    expect(r.nice.length).toBeGreaterThan(1); // V8 helper threads are there
    expect(new Set(r.nice)).toEqual(new Set([7]));
    // SCHED_IDLE (5) on every thread where chrt (util-linux) is installed; else unchanged (0).
    expect(new Set(r.policy)).toEqual(new Set([hasChrt() ? 5 : 0]));
  });
});
