/**
 * @module test/unit/config/validate-metrics
 * The top-level `metrics:` block: per_server defaults to true, takes only booleans, and
 * unknown keys or a non-mapping are reported where they are written.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_PER_SERVER, diffConfig } from '../../../src/config/index.js';
import { located, MINIMAL, onlyRule, problems, valid, yamlWith } from './fixtures.js';

describe('metrics block', () => {
  it('defaults per_server to true, written or not', () => {
    expect(DEFAULT_METRICS_PER_SERVER).toBe(true);
    expect(valid(MINIMAL).metrics).toEqual({ per_server: true });
    expect(valid(yamlWith({ metrics: {} })).metrics).toEqual({ per_server: true });
    expect(valid(yamlWith({ metrics: { per_server: false } })).metrics).toEqual({ per_server: false });
  });

  it.each(['yes', 'false', 0, null])('rejects per_server: %j', (bad) => {
    expect(onlyRule(yamlWith({ metrics: { per_server: bad } }), 'metrics.per_server')).toBe('must be true or false');
  });

  it('rejects unknown keys and a non-mapping, at their positions', () => {
    expect(located(`${MINIMAL}metrics:\n  perserver: false\n`)).toEqual([[8, 3, 'metrics.perserver', 'unknown key "perserver"; expected one of: per_server (did you mean "per_server"?)']]);
    expect(located(`${MINIMAL}metrics:\n  per_server: yes\n`)).toEqual([[8, 15, 'metrics.per_server', 'must be true or false']]);
    expect(problems(yamlWith({ metrics: 'off' }))).toEqual(['metrics: must be a mapping']);
  });

  it('a reload that changes it is a change, named in the summary', () => {
    const on = valid(MINIMAL);
    const off = valid(yamlWith({ metrics: { per_server: false } }));
    expect(diffConfig(on, off)).toMatchObject({ changed: true, summary: ['metrics settings changed'] });
  });
});
