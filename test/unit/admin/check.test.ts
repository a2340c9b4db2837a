/**
 * @module test/unit/admin/check.test
 * `bulwark check`'s evaluation of a /status document (admin/check.ts): each state and its
 * exit code, the default and given thresholds ("N or fewer available"), the worst upstream
 * winning, UNKNOWN for a missing upstream or a document that is not /status, and the exact
 * Nagios line with performance data and the flat JSON object.
 */
import { describe, expect, it } from 'vitest';
import { CHECK_EXIT, evaluateStatus, jsonOutput, nagiosOutput, unknownResult } from '../../../src/admin/check.js';

/** A /status document: per upstream, one entry per server, true when it is available. */
function status(upstreams: Record<string, boolean[]>): unknown {
  return {
    config: { version: 1 },
    upstreams: Object.entries(upstreams).map(([name, up]) => ({
      name,
      scheduler: 'round-robin',
      servers: up.map((available, i) => ({ name: `s${i + 1}`, available, flags: available ? [] : ['draining'] })),
    })),
  };
}

describe('bulwark check: evaluating /status', () => {
  it('defaults: OK with every server, WARNING with any out, CRITICAL with none left', () => {
    expect(evaluateStatus(status({ web: [true, true, true] }), {}).state).toBe('OK');
    expect(evaluateStatus(status({ web: [true, true, false] }), {}).state).toBe('WARNING');
    expect(evaluateStatus(status({ web: [true, false, false] }), {}).state).toBe('WARNING');
    expect(evaluateStatus(status({ web: [false, false, false] }), {}).state).toBe('CRITICAL');
    // One server: all but one is 0, so it is OK or CRITICAL.
    expect(evaluateStatus(status({ one: [true] }), {}).state).toBe('OK');
    expect(evaluateStatus(status({ one: [false] }), {}).state).toBe('CRITICAL');
  });

  it('--warn N and --crit N: the state is reached at N or fewer available', () => {
    const at = (up: boolean[]): string => evaluateStatus(status({ web: up }), { warn: 2, crit: 1 }).state;
    expect(at([true, true, true, false])).toBe('OK');
    expect(at([true, true, false, false])).toBe('WARNING');
    expect(at([true, false, false, false])).toBe('CRITICAL');
    expect(at([false, false, false, false])).toBe('CRITICAL');
    expect(evaluateStatus(status({ web: [true, false, false] }), { warn: 0 }).state).toBe('OK');
  });

  it('without --upstream the worst upstream wins and is named first; --upstream checks only that one', () => {
    const doc = status({ api: [true, true], web: [true, false], db: [false] });
    const all = evaluateStatus(doc, {});
    expect(all.state).toBe('CRITICAL');
    expect(all.message).toBe('db: 0/1 servers available (s1: draining); web: 1/2 servers available (s2: draining); api: 2/2 servers available');
    expect(evaluateStatus(doc, { upstream: 'api' }).state).toBe('OK');
    expect(evaluateStatus(doc, { upstream: 'web' }).state).toBe('WARNING');
  });

  it('UNKNOWN for an upstream that does not exist, naming those that do, and for a document that is not /status', () => {
    const r = evaluateStatus(status({ web: [true], api: [true] }), { upstream: 'nope' });
    expect(r).toEqual({ state: 'UNKNOWN', message: 'no upstream "nope" (upstreams: web, api)', upstreams: [] });
    for (const doc of [null, 'x', {}, { upstreams: {} }, { upstreams: [{ name: 'web', servers: [{ name: 'a' }] }] }]) {
      expect(evaluateStatus(doc, {}).message).toMatch(/without an upstreams list/);
    }
    expect(CHECK_EXIT).toEqual({ OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 });
  });

  it('prints the Nagios line with value;warn;crit;min;max performance data per upstream', () => {
    expect(nagiosOutput(evaluateStatus(status({ web: [true, true, true] }), {}))).toBe("BULWARK OK - web: 3/3 servers available | 'web_available'=3;2;0;0;3");
    expect(nagiosOutput(evaluateStatus(status({ web: [true, false, false], api: [true, true] }), { warn: 1, crit: 0 }))).toBe(
      "BULWARK WARNING - web: 1/3 servers available (s2: draining; s3: draining); api: 2/2 servers available | 'web_available'=1;1;0;0;3 'api_available'=2;1;0;0;2",
    );
    expect(nagiosOutput(unknownResult('cannot reach it | really'))).toBe('BULWARK UNKNOWN - cannot reach it / really');
    // A quote in a label is doubled; '=' separates the value, so it cannot stay.
    expect(nagiosOutput(evaluateStatus(status({ "o'k=1": [true] }), {}))).toBe("BULWARK OK - o'k=1: 1/1 servers available | 'o''k_1_available'=1;0;0;0;1");
  });

  it('--format json: one flat object with the state, exit code and per-upstream counts', () => {
    expect(jsonOutput(evaluateStatus(status({ web: [true, false] }), {}))).toEqual({
      status: 'WARNING',
      exit: 1,
      message: 'web: 1/2 servers available (s2: draining)',
      web_available: 1,
      web_total: 2,
      web_status: 'WARNING',
    });
    expect(jsonOutput(unknownResult('down'))).toEqual({ status: 'UNKNOWN', exit: 3, message: 'down' });
  });
});
