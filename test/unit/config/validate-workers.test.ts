/**
 * @module test/unit/config/validate-workers
 * The top-level `workers:` key: 1 by default, `auto` is the cores this process may use,
 * anything else is reported where it is written, and a change needs a restart.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKERS, diffConfig } from '../../../src/config/index.js';
import { located, MINIMAL, onlyRule, valid, yamlWith } from './fixtures.js';

describe('workers', () => {
  it('defaults to 1; auto is os.availableParallelism(); N is N', () => {
    expect(DEFAULT_WORKERS).toBe(1);
    expect(valid(MINIMAL).workers).toBe(1);
    expect(valid(yamlWith({ workers: 'auto' })).workers).toBe(availableParallelism());
    expect(valid(yamlWith({ workers: 4 })).workers).toBe(4);
    expect(valid(yamlWith({ workers: 1024 })).workers).toBe(1024);
  });

  it.each([0, -1, 2.5, 1025, 'four', 'AUTO', '2', null, true])('rejects workers: %j', (bad) => {
    expect(onlyRule(yamlWith({ workers: bad }), 'workers')).toBe('must be auto or an integer between 1 and 1024');
  });

  it('reports a bad value at its position', () => {
    expect(located(`workers: 0\n${MINIMAL}`)).toEqual([[1, 10, 'workers', 'must be auto or an integer between 1 and 1024']]);
  });

  it('a reload keeps the running count and says it needs a restart', () => {
    const p = diffConfig(valid(MINIMAL), valid(yamlWith({ workers: 3 })));
    expect(p.restartRequired).toEqual(['workers']);
    expect(p.config.workers).toBe(1);
    expect(p.summary).toEqual(['workers changed: needs a restart to take effect']);
  });

  it('allows more than one worker with sticky sessions and backup (the group shares its sessions)', () => {
    const sticky = MINIMAL.replace('    servers:', '    sticky: { mode: cookie }\n    servers:');
    expect(valid(`workers: 2\n${sticky}`).workers).toBe(2);
    expect(valid(`workers: 3\nbackup: { dir: /tmp/b }\n${MINIMAL}`).workers).toBe(3);
    expect(valid(`workers: auto\nbackup: { dir: /tmp/b }\n${sticky}`).workers).toBe(availableParallelism());
    expect(valid(`workers: 1\nbackup: { dir: /tmp/b }\n${sticky}`).workers).toBe(1);
  });
});
