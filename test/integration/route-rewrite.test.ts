/**
 * strip_prefix and add_prefix over real sockets: each target is sent as raw bytes (no
 * client library normalises it first), and the origins' records show exactly what they
 * received. The rewrite applies to the normalised path, so path tricks cannot make it
 * strip something else than what was routed on, nor climb out of add_prefix.
 */
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';

const h = useHarness();

async function setup(rules: Record<string, unknown>) {
  const api = await h.origin((req, res) => res.end(`api ${req.url}`));
  const other = await h.origin((req, res) => res.end(`other ${req.url}`));
  const bw = await h.bulwark(
    routedConfig({ api: [api.url], other: [other.url] }, [
      { path_prefix: '/api', upstream: 'api', rules },
      { upstream: 'other' },
    ]),
  );
  const ask = async (target: string): Promise<string> => {
    const r = await (await h.raw(bw.port)).request(`GET ${target} HTTP/1.1\r\nHost: app.test\r\n\r\n`);
    return r.status === 200 ? r.body : String(r.status);
  };
  return { api, other, ask };
}

describe('route path rewriting', () => {
  it('strips at a segment boundary and adds in front, keeping the query', async () => {
    const { ask } = await setup({ strip_prefix: '/api', add_prefix: '/v2' });
    const cases: Array<[string, string]> = [
      ['/api/users', 'api /v2/users'],
      ['/api/users/?q=/api/x&y=%2F', 'api /v2/users/?q=/api/x&y=%2F'],
      ['/api', 'api /v2/'],
      ['/api/', 'api /v2/'],
      ['/api?x=1', 'api /v2/?x=1'],
      // path_prefix /api matches /apix too; strip_prefix does not take half a segment.
      ['/apix/users', 'api /v2/apix/users'],
      ['http://app.test/api/users?a=b', 'api /v2/users?a=b'],
    ];
    for (const [target, want] of cases) expect(await ask(target), target).toBe(want);
  });

  it('rewrites the normalised path: dot-segments, encodings and doubled slashes first', async () => {
    const { ask } = await setup({ strip_prefix: '/api/', add_prefix: '/v2/' });
    const cases: Array<[string, string]> = [
      ['//api//users', 'api /v2/users'],
      ['/api/./users', 'api /v2/users'],
      ['/x/../api/users', 'api /v2/users'],
      ['/%61pi/users', 'api /v2/users'], // %61 is "a": equivalent (RFC 3986 §6.2.2.2)
      ['/api/%7Eme', 'api /v2/~me'],
      ['/api/a%20b', 'api /v2/a%20b'],
      // Leaving /api/ by dot-segments leaves the route: nothing is stripped or added.
      ['/api/../secret', 'other /secret'],
      ['/api/%2e%2e/secret', 'other /secret'],
      ['/api/..', 'other /'],
    ];
    for (const [target, want] of cases) expect(await ask(target), target).toBe(want);
  });

  it('never forwards what cannot be normalised, stripped or not', async () => {
    const { api, other, ask } = await setup({ strip_prefix: '/api' });
    for (const t of ['/api%2Fusers', '/api/..%2f..%2fetc', '/api/../../etc', '/api\\users', '/api/%00']) expect(await ask(t), t).toBe('400');
    expect(api.requests).toHaveLength(0);
    expect(other.requests).toHaveLength(0);
  });

  it('strips alone and adds alone', async () => {
    expect(await (await setup({ strip_prefix: '/api' })).ask('/api/v1/x')).toBe('api /v1/x');
    expect(await (await setup({ add_prefix: '/base' })).ask('/api/x')).toBe('api /base/api/x');
  });
});
