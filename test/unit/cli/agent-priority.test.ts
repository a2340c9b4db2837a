/**
 * The backup agent lowers the priority of every thread of its process, not only the main
 * one: on Linux nice is per thread, and V8's garbage-collection and compiler threads exist
 * before the agent's code runs. Checked in a child process (nice can't be raised back).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';

const AGENT_MODULE = pathToFileURL(join(dirname(CLI), 'backup', 'agent.js')).href;

describe.runIf(process.platform === 'linux')('lowerPriority', () => {
  it('sets the nice value of every thread of the process', () => {
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      const { lowerPriority } = await import(${JSON.stringify(AGENT_MODULE)});
      lowerPriority(7);
      const nice = readdirSync('/proc/self/task').map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
      console.log(JSON.stringify(nice));`;
    const nice = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as number[];
    expect(nice.length).toBeGreaterThan(1); // V8 helper threads are there
    expect(new Set(nice)).toEqual(new Set([7]));
  });
});
