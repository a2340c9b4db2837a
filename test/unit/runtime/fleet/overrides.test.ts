/**
 * @module test/unit/runtime/fleet/overrides
 * A fleet override record read from Redis is untrusted input: parseRecord accepts exactly
 * the records a node writes and names what is wrong with anything else.
 */
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../../src/runtime/fleet/overrides.js';

const base = { upstream: 'app', server: 's1', field: 'state', value: 'drain', at: 1_780_000_000_000, node: 'lb-a' };
const text = (change: Record<string, unknown>): string => JSON.stringify({ ...base, ...change });

describe('parseRecord', () => {
  it('accepts each state, a weight from 1 to 1000 and the weight "config"', () => {
    for (const value of ['drain', 'disable', 'enable']) expect(parseRecord(text({ value }))).toEqual({ ...base, value });
    for (const value of [1, 1000, 'config']) expect(parseRecord(text({ field: 'weight', value }))).toEqual({ ...base, field: 'weight', value });
  });

  it('names what is wrong with a malformed record', () => {
    expect(parseRecord('{"upstream":')).toBe('not JSON');
    expect(parseRecord('[1]')).toBe('upstream must be a non-empty string');
    expect(parseRecord('null')).toBe('not a JSON object');
    expect(parseRecord(text({ server: '' }))).toBe('server must be a non-empty string');
    expect(parseRecord(text({ node: 7 }))).toBe('node must be a non-empty string');
    expect(parseRecord(text({ at: -1 }))).toBe('at must be a non-negative integer (ms)');
    expect(parseRecord(text({ at: 1.5 }))).toBe('at must be a non-negative integer (ms)');
    expect(parseRecord(text({ value: 'maintenance' }))).toBe('a state value must be drain, disable or enable');
    expect(parseRecord(text({ field: 'weight', value: 0 }))).toBe('a weight value must be an integer from 1 to 1000 or "config"');
    expect(parseRecord(text({ field: 'weight', value: '5' }))).toBe('a weight value must be an integer from 1 to 1000 or "config"');
    expect(parseRecord(text({ field: 'flags' }))).toBe('field must be state or weight');
  });
});
