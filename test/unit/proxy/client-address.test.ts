/**
 * @module test/unit/proxy/client-address.test
 * trusted_proxies: addresses and ranges (v4, v6, IPv4-mapped), and the X-Forwarded-For
 * rule: replaced from an untrusted peer, kept and appended from a trusted one, whose
 * client is the rightmost untrusted address.
 */
import { describe, expect, it } from 'vitest';
import { TrustedProxies, forwardedFor } from '../../../src/proxy/client-address.js';

const trusted = new TrustedProxies(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);

describe('TrustedProxies', () => {
  it('matches addresses and ranges of both families, IPv4-mapped too', () => {
    expect(['10.1.2.3', '::ffff:10.9.9.9', '192.0.2.7', '2001:db8::1'].map((a) => trusted.has(a))).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.0.2.8', '2001:db9::1', '', 'junk'].map((a) => trusted.has(a))).toEqual([false, false, false, false, false]);
    expect(new TrustedProxies([]).has('127.0.0.1')).toBe(false);
  });
});

describe('forwardedFor', () => {
  it('replaces the X-Forwarded-For of an untrusted peer with the peer', () => {
    expect(forwardedFor('198.51.100.1', '1.2.3.4', trusted)).toEqual({ client: '198.51.100.1', header: '198.51.100.1' });
    expect(forwardedFor('198.51.100.1', undefined, trusted)).toEqual({ client: '198.51.100.1', header: '198.51.100.1' });
  });

  it('keeps a trusted peer’s and takes the rightmost untrusted address as the client', () => {
    expect(forwardedFor('10.0.0.1', '203.0.113.9', trusted)).toEqual({ client: '203.0.113.9', header: '203.0.113.9, 10.0.0.1' });
    // A spoofed leftmost entry is not believed: 198.51.100.2 is the first untrusted from the right.
    expect(forwardedFor('10.0.0.1', '6.6.6.6, 198.51.100.2, 10.0.0.5', trusted).client).toBe('198.51.100.2');
    expect(forwardedFor('10.0.0.1', '10.0.0.9, 192.0.2.7', trusted).client).toBe('10.0.0.9');
    expect(forwardedFor('10.0.0.1', undefined, trusted)).toEqual({ client: '10.0.0.1', header: '10.0.0.1' });
  });

  it('stops at an entry that is not an address', () => {
    expect(forwardedFor('10.0.0.1', 'evil, 10.0.0.4', trusted).client).toBe('10.0.0.4');
    expect(forwardedFor('10.0.0.1', 'unknown', trusted).client).toBe('10.0.0.1');
    expect(forwardedFor('10.0.0.1', '1.2.3.4:80', trusted).client).toBe('10.0.0.1');
  });
});
