/**
 * @module test/integration/route-host-attack.test
 * A client dodging a host route's controls (rate_limit, header rules) by writing the same
 * host another way, so that a catch-all route to the same upstream takes it: a trailing
 * dot (an absolute DNS name, RFC 1034 §3.1, that the origin reads as the same host), upper
 * case, a port. Each must still be matched by the host route.
 */
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { rawValues, send } from '../helpers/net.js';

describe('host route evasion', () => {
  const h = useHarness();

  it('matches a host written with a trailing dot, upper case or a port', async () => {
    const origin = await h.origin((req, res) => res.end(JSON.stringify(rawValues(req.rawHeaders, 'x-internal'))));
    const api = { rate_limit: { rate: '1/m', burst: 1, key: 'header:x-key' }, headers: { request: { remove: ['X-Internal'] } } };
    const bw = await h.bulwark(routedConfig({ web: [origin.url] }, [{ host: 'api.example.com', upstream: 'web', rules: api }, { upstream: 'web' }]));
    const hosts = ['api.example.com', 'api.example.com.', 'API.Example.COM.', 'api.example.com.:80'];
    for (const [i, host] of hosts.entries()) {
      const headers = { host, 'x-key': `k${i}`, 'x-internal': 'admin' };
      const first = await send(bw.url, { path: '/', headers });
      expect([host, first.status, first.text]).toEqual([host, 200, '[]']);
      expect([host, (await send(bw.url, { path: '/', headers })).status]).toEqual([host, 429]);
    }
    // Another host still takes the catch-all route.
    expect((await send(bw.url, { path: '/', headers: { host: 'www.example.com.', 'x-internal': 'a' } })).text).toBe('["a"]');
  });
});
