/**
 * @module test/unit/config/address
 * Listen address forms, their printing, and which pairs of addresses cannot both be bound.
 */
import { describe, expect, it } from 'vitest';
import { addressesConflict, formatListenAddress, Invalid, parseListenAddress } from '../../../src/config/index.js';

const rule = (value: unknown): string | undefined => {
  const r = parseListenAddress(value);
  return r instanceof Invalid ? r.rule : undefined;
};

describe('parseListenAddress', () => {
  it.each([
    ['0.0.0.0:8080', '0.0.0.0', 8080],
    ['127.0.0.1:9901', '127.0.0.1', 9901],
    ['localhost:80', 'localhost', 80],
    ['[::1]:8080', '::1', 8080],
    ['[::]:8080', '::', 8080],
    [':8080', '0.0.0.0', 8080],
    ['8080', '0.0.0.0', 8080],
    [8080, '0.0.0.0', 8080],
    [0, '0.0.0.0', 0],
    [65535, '0.0.0.0', 65535],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['127.0.0.1:65535', '127.0.0.1', 65535],
  ])('%j → %s port %d', (value, host, port) => {
    expect(parseListenAddress(value)).toEqual({ host, port });
  });

  it.each([
    [65536, 'port must be an integer between 0 and 65535'],
    [-1, 'port must be an integer between 0 and 65535'],
    [80.5, 'port must be an integer between 0 and 65535'],
    ['127.0.0.1:65536', 'port must be an integer between 0 and 65535'],
    ['127.0.0.1', 'must be an address like 0.0.0.0:8080, [::1]:8080, :8080 or 8080'],
    ['127.0.0.1:', 'must be an address like 0.0.0.0:8080, [::1]:8080, :8080 or 8080'],
    ['127.0.0.1:http', 'must be an address like 0.0.0.0:8080, [::1]:8080, :8080 or 8080'],
    [true, 'must be an address like 0.0.0.0:8080, [::1]:8080, :8080 or 8080'],
    ['::1:8080', 'IPv6 addresses must be in brackets, like [::1]:8080'],
    ['[127.0.0.1]:80', '"127.0.0.1" is not an IPv6 address'],
    ['bad host:80', '"bad host" is not a valid host name or IP address'],
    ['-x:80', '"-x" is not a valid host name or IP address'],
  ])('%j: %s', (value, expected) => {
    expect(rule(value)).toBe(expected);
  });
});

describe('formatListenAddress', () => {
  it('brackets IPv6 hosts', () => {
    expect(formatListenAddress({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatListenAddress({ host: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80');
  });
});

describe('addressesConflict', () => {
  const a = (host: string, port: number) => ({ host, port });
  it.each([
    [a('127.0.0.1', 80), a('127.0.0.1', 80), true],
    [a('0.0.0.0', 80), a('127.0.0.1', 80), true],
    [a('localhost', 80), a('0.0.0.0', 80), true],
    [a('::', 80), a('127.0.0.1', 80), true],
    [a('::', 80), a('::1', 80), true],
    [a('0.0.0.0', 80), a('::1', 80), false],
    [a('127.0.0.1', 80), a('127.0.0.2', 80), false],
    [a('127.0.0.1', 80), a('127.0.0.1', 81), false],
    [a('127.0.0.1', 0), a('127.0.0.1', 0), false],
  ])('%j vs %j: %s', (x, y, expected) => {
    expect(addressesConflict(x, y)).toBe(expected);
    expect(addressesConflict(y, x)).toBe(expected);
  });
});
