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

/** A /status document of upstream web whose servers have these [requests, errors] counters. */
function counted(...servers: Array<[number, number]>): unknown {
  return { upstreams: [{ name: 'web', servers: servers.map(([requests, errors], i) => ({ name: `s${i + 1}`, available: true, flags: [], requests, errors })) }] };
}

describe('bulwark check --max-error-rate: the error rate between two reads', () => {
  const o = { maxErrorRate: { warn: 10, crit: 40 }, intervalMs: 1000 };

  it('judges only the window: errors before the first read do not count', () => {
    // 100 errors since start, then 20 requests with 1 error: 5%, OK under 10%.
    const r = evaluateStatus(counted([150, 100], [10, 0]), o, counted([140, 99], [0, 0]));
    expect(r.state).toBe('OK');
    expect(r.upstreams[0]!.errorRate).toEqual({ errors: 1, requests: 20, percent: 5, warn: 10, crit: 40 });
    expect(r.message).toBe('web: 2/2 servers available, error rate 5% (1 of 20 requests in 1 s)');
  });

  it('WARNING strictly above W, CRITICAL strictly above C; no requests in the window is 0%', () => {
    const at = (errors: number): string => evaluateStatus(counted([100, errors]), o, counted([0, 0])).state;
    expect([at(10), at(11), at(40), at(41), at(100)]).toEqual(['OK', 'WARNING', 'WARNING', 'CRITICAL', 'CRITICAL']);
    // With W only, no rate is CRITICAL.
    expect(evaluateStatus(counted([100, 100]), { maxErrorRate: { warn: 0 }, intervalMs: 1000 }, counted([0, 0])).state).toBe('WARNING');
    const idle = evaluateStatus(counted([7, 7]), o, counted([7, 7]));
    expect(idle.state).toBe('OK');
    expect(idle.message).toContain('error rate 0% (0 of 0 requests in 1 s)');
  });

  it('the worse of availability and error rate wins', () => {
    const doc = { upstreams: [{ name: 'web', servers: [{ name: 'a', available: false, flags: ['draining'], requests: 10, errors: 0 }, { name: 'b', available: true, requests: 10, errors: 0 }] }] };
    expect(evaluateStatus(doc, o, counted([0, 0], [0, 0])).state).toBe('WARNING');
    expect(evaluateStatus(counted([100, 50]), { ...o, crit: 0 }, counted([0, 0])).state).toBe('CRITICAL');
  });

  it('counts a server from 0 when its counters went down (restart, rebuilt by a reload) or it is new', () => {
    const r = evaluateStatus(counted([4, 2], [10, 0]), o, counted([50, 30]));
    expect(r.upstreams[0]!.errorRate).toMatchObject({ errors: 2, requests: 14 });
    // An upstream a reload added between the reads counts from 0 too.
    expect(evaluateStatus(counted([10, 5]), o, { upstreams: [] }).upstreams[0]!.errorRate).toMatchObject({ errors: 5, requests: 10, percent: 50 });
  });

  it('perfdata value%;W;C;0;100 after each upstream, and error_rate, errors, requests in the JSON object', () => {
    const r = evaluateStatus(counted([3, 1]), o, counted([0, 0]));
    expect(nagiosOutput(r)).toBe(
      "BULWARK WARNING - web: 1/1 servers available, error rate 33.33% (1 of 3 requests in 1 s) | 'web_available'=1;0;0;0;1 'web_error_rate'=33.33%;10;40;0;100",
    );
    expect(nagiosOutput(evaluateStatus(counted([3, 0]), { maxErrorRate: { warn: 2.5 }, intervalMs: 500 }, counted([0, 0])))).toBe(
      "BULWARK OK - web: 1/1 servers available, error rate 0% (0 of 3 requests in 0.5 s) | 'web_available'=1;0;0;0;1 'web_error_rate'=0%;2.5;;0;100",
    );
    expect(jsonOutput(r)).toMatchObject({ status: 'WARNING', exit: 1, web_error_rate: 33.33, web_errors: 1, web_requests: 3 });
  });

  it('UNKNOWN when either read is not /status or lacks the counters', () => {
    expect(evaluateStatus(counted([1, 0]), o, 'nope').message).toMatch(/without an upstreams list/);
    expect(evaluateStatus(status({ web: [true] }), o, status({ web: [true] })).message).toMatch(/no requests and errors counters per server/);
  });
});
