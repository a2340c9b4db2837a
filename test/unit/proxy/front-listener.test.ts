/**
 * @module test/unit/proxy/front-listener.test
 * Where redirect_https sends a request (the host without its port, the https port, the
 * same target; absolute-form taking its own authority) and the HSTS header value.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { hstsValue, httpsLocation } from '../../../src/proxy/front-listener.js';

const req = (url: string, host?: string): http.IncomingMessage => ({ url, headers: host === undefined ? {} : { host } }) as http.IncomingMessage;

describe('httpsLocation', () => {
  it('keeps the path and query, drops the Host port, and leaves :443 out', () => {
    expect(httpsLocation(req('/a/b?c=1', 'shop.example.com:8080'), 8443)).toBe('https://shop.example.com:8443/a/b?c=1');
    expect(httpsLocation(req('/', 'Shop.Example.com'), 443)).toBe('https://Shop.Example.com/');
    expect(httpsLocation(req('/x', '[::1]:80'), 443)).toBe('https://[::1]/x');
    expect(httpsLocation(req('/x', '10.0.0.1'), 8443)).toBe('https://10.0.0.1:8443/x');
  });

  it('takes an absolute-form target’s authority instead of Host (RFC 9112 §3.2.2)', () => {
    expect(httpsLocation(req('http://other.example.com:8080/p?q', 'shop.example.com'), 443)).toBe('https://other.example.com/p?q');
  });

  it('has no answer without a valid Host', () => {
    for (const host of [undefined, '', 'a b', 'evil.com/x', '[not-v6]', 'a:b:c', 'x@y']) expect(httpsLocation(req('/', host), 443)).toBeUndefined();
  });
});

describe('hstsValue', () => {
  it('writes max-age and the flags that are on (RFC 6797 §6.1)', () => {
    expect(hstsValue({ max_age: 31_536_000, include_subdomains: false, preload: false })).toBe('max-age=31536000');
    expect(hstsValue({ max_age: 63_072_000, include_subdomains: true, preload: true })).toBe('max-age=63072000; includeSubDomains; preload');
  });
});
