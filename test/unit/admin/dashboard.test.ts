/**
 * @module test/unit/admin/dashboard.test
 * The dashboard's pure parts: per-second rates from counter diffs, windowed bucket counts
 * for the p99, and how the WebSocket upgrade reads the token (Authorization, or the
 * `bulwark.token.<base64url>` subprotocol a browser can send).
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { quantileMs } from '../../../src/core/latency.js';
import { counterRates, windowCounts } from '../../../src/admin/dashboard/rates.js';
import { offeredProtocols, offeredToken } from '../../../src/admin/dashboard/upgrade.js';
import { DASHBOARD } from '../../../src/admin/dashboard/page.js';

const req = (headers: http.IncomingHttpHeaders): http.IncomingMessage => ({ headers }) as http.IncomingMessage;

describe('dashboard rates', () => {
  it('diffs request and error counters per second of elapsed time', () => {
    expect(counterRates({ requests: 100, errors: 2 }, { requests: 150, errors: 7 }, 500)).toEqual({ rps: 100, eps: 10 });
    expect(counterRates({ requests: 10, errors: 0 }, { requests: 10, errors: 0 }, 1000)).toEqual({ rps: 0, eps: 0 });
  });

  it('has no rate on the first sample or without elapsed time', () => {
    expect(counterRates(undefined, { requests: 5, errors: 1 }, 1000)).toEqual({ rps: null, eps: null });
    expect(counterRates({ requests: 1, errors: 0 }, { requests: 5, errors: 1 }, 0)).toEqual({ rps: null, eps: null });
  });

  it('counts a counter that went down (a new server object after a reload) from zero', () => {
    expect(counterRates({ requests: 900, errors: 40 }, { requests: 30, errors: 3 }, 1000)).toEqual({ rps: 30, eps: 3 });
  });

  it('gives the bucket counts of the window between two readings, for a windowed p99', () => {
    const before = [0, 0, 10, 0, 0];
    const after = [0, 0, 10, 99, 1];
    expect(windowCounts(before, after)).toEqual([0, 0, 0, 99, 1]);
    expect(windowCounts(undefined, after)).toBeUndefined();
    expect(windowCounts([1, 2], after)).toBeUndefined();
    // The old 10 fast requests are outside the window: the p99 is in the 4th bucket, not the 3rd.
    const counts = new Array<number>(17).fill(0);
    const later = [...counts];
    counts[2] = 1000;
    later[2] = 1000;
    later[7] = 100;
    expect(quantileMs(windowCounts(counts, later)!, 0.99)).toBeGreaterThan(50);
    expect(quantileMs(windowCounts(counts, counts)!, 0.99)).toBeNaN();
  });
});

describe('dashboard WebSocket token', () => {
  const protocol = (token: string): string => `bulwark.token.${Buffer.from(token).toString('base64url')}`;

  it('reads the token from the subprotocol a browser offers, UTF-8 included', () => {
    const r = req({ 'sec-websocket-protocol': `bulwark.v1, ${protocol('s3cret-ü')}` });
    expect(offeredProtocols(r)).toEqual(['bulwark.v1', protocol('s3cret-ü')]);
    expect(offeredToken(r)).toBe('s3cret-ü');
  });

  it('prefers Authorization: Bearer, and gives an empty token when none is offered', () => {
    expect(offeredToken(req({ authorization: 'Bearer abc', 'sec-websocket-protocol': protocol('xyz') }))).toBe('abc');
    expect(offeredToken(req({ 'sec-websocket-protocol': 'bulwark.v1' }))).toBe('');
    expect(offeredToken(req({}))).toBe('');
  });
});

describe('dashboard page', () => {
  it('is one self-contained document: no external script, style or connection', () => {
    // The SVG namespace is a name, not a fetch.
    expect(DASHBOARD.html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    expect(DASHBOARD.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    expect(DASHBOARD.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});
