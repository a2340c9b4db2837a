/**
 * @module test/integration/routing.test
 * Routes through the real proxy: exact host, wildcard host ("*.example.com" matches names
 * below example.com, never example.com itself), path prefix, first match wins, and 404
 * when nothing matches.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestBulwark } from '../helpers/bulwark.js';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

describe('routing', () => {
  const h = useHarness();
  let bw: TestBulwark;

  beforeEach(async () => {
    const names = ['api', 'static', 'wild', 'v2'];
    const origins = await h.namedOrigins(names);
    const urls = Object.fromEntries(names.map((n, i) => [n, [origins[i]!.url]]));
    bw = await h.bulwark(
      routedConfig(urls, [
        { host: 'api.example.com', upstream: 'api' },
        { host: '*.example.com', path_prefix: '/static/', upstream: 'static' },
        { host: '*.example.com', upstream: 'wild' },
        { path_prefix: '/v2/', upstream: 'v2' },
      ]),
    );
  });

  async function via(host: string, path = '/'): Promise<string> {
    const r = await send(bw.url, { path, headers: { host } });
    return r.status === 200 ? r.text : String(r.status);
  }

  it('routes by exact host', async () => {
    expect(await via('api.example.com', '/users')).toBe('api');
  });

  it('compares hosts case-insensitively and without the port', async () => {
    expect(await via('API.Example.COM:8080', '/users')).toBe('api');
  });

  it('lets the first matching route win (exact host before the wildcard with a matching prefix)', async () => {
    expect(await via('api.example.com', '/static/logo.png')).toBe('api');
  });

  it('routes by wildcard host and path prefix', async () => {
    expect(await via('a.example.com', '/static/app.js')).toBe('static');
    expect(await via('deep.sub.example.com', '/static/app.js')).toBe('static');
  });

  it('routes by wildcard host alone when the prefix does not match', async () => {
    expect(await via('a.example.com', '/other')).toBe('wild');
    expect(await via('a.example.com', '/static')).toBe('wild'); // "/static" lacks the trailing slash
  });

  it('does not match the wildcard domain itself, nor look-alike names', async () => {
    expect(await via('example.com', '/other')).toBe('404');
    expect(await via('badexample.com', '/other')).toBe('404');
    expect(await via('a.example.com.evil.test', '/other')).toBe('404');
  });

  it('routes by path prefix for any host', async () => {
    expect(await via('example.com', '/v2/items?x=1')).toBe('v2');
    expect(await via('elsewhere.test', '/v2/')).toBe('v2');
  });

  it('answers 404 with the request id when no route matches', async () => {
    const r = await send(bw.url, { path: '/nothing', headers: { host: 'elsewhere.test' } });
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toContain(r.headers['x-request-id'] as string);
  });

  it('does not treat the query string as part of a path prefix match', async () => {
    expect(await via('elsewhere.test', '/x?next=/v2/')).toBe('404');
  });
});
