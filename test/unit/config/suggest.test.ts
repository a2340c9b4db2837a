/**
 * @module test/unit/config/suggest
 * "Did you mean" in validate's messages: HAProxy, nginx and Envoy names for bulwark's keys
 * and values are answered with bulwark's name (and whose name it was), only where that
 * name belongs; edit distance still catches typos.
 */
import { describe, expect, it } from 'vitest';
import { problems, upstreamWith, yamlWith } from './fixtures.js';

type Tree = { [key: string]: unknown };
const SCHEDULERS = 'must be one of: round-robin, random, weighted, least-connections, p2c, consistent-hash';
/** The one problem of `tree`, which must be reported at `path`: its rule. */
function only(tree: Tree, path: string): string {
  const all = problems(yamlWith(tree));
  expect(all).toHaveLength(1);
  expect(all[0]!.startsWith(`${path}: `)).toBe(true);
  return all[0]!.slice(path.length + 2);
}
const suggestion = (rule: string): string => /\(did you mean (.*)\)$/.exec(rule)?.[1] ?? '';

describe('values another proxy names differently', () => {
  it.each([
    ['leastconn', '"least-connections"? "leastconn" is HAProxy\'s name'],
    ['least_conn', '"least-connections"? "least_conn" is nginx\'s name'],
    ['roundrobin', '"round-robin" or weighted, which honours weights as HAProxy does? "roundrobin" is HAProxy\'s name'],
    ['static-rr', '"weighted"? "static-rr" is HAProxy\'s name'],
    ['source', '"consistent-hash" with hash_key: ip? "source" is HAProxy\'s name'],
    ['uri', '"consistent-hash" with hash_key: path? "uri" is HAProxy\'s name'],
    ['hdr(host)', '"consistent-hash" with hash_key: header:NAME? "hdr(host)" is HAProxy\'s name'],
    ['ip_hash', '"consistent-hash" with hash_key: ip? "ip_hash" is nginx\'s name'],
    ['LEAST_REQUEST', '"p2c"? "LEAST_REQUEST" is Envoy\'s name'],
    ['RING_HASH', '"consistent-hash"? "RING_HASH" is Envoy\'s name'],
    ['least-conections', '"least-connections"?'],
  ])('scheduler: %s', (scheduler, guess) => {
    const rule = only({ upstreams: { web: { scheduler } } }, 'upstreams.web.scheduler');
    expect(rule).toBe(`${SCHEDULERS} (did you mean ${guess})`);
  });

  it.each<[Tree, string, string]>([
    [{ log: { level: 'warning' } }, 'log.level', '"warn"? "warning" is nginx\'s name'],
    [{ upstreams: { web: { sticky: { mode: 'insert' } } } }, 'upstreams.web.sticky.mode', '"cookie"? "insert" is HAProxy\'s name'],
    [{ upstreams: { web: { sticky: { mode: 'source' } } } }, 'upstreams.web.sticky.mode', '"ip"? "source" is HAProxy\'s name'],
    [{ upstreams: { web: { health_check: { type: 'tcp-check' } } } }, 'upstreams.web.health_check.type', '"tcp"? "tcp-check" is HAProxy\'s name'],
    [{ upstreams: { web: { retries: { on: ['http_502'] } } } }, 'upstreams.web.retries.on[0]', '"502"? "http_502" is nginx\'s name'],
    [{ upstreams: { web: { retries: { on: ['conn-failure'] } } } }, 'upstreams.web.retries.on[0]', '"connect-failure"? "conn-failure" is HAProxy\'s name'],
    [{ upstreams: { web: { scheduler: 'consistent-hash', hash_key: 'source' } } }, 'upstreams.web.hash_key', '"ip"? "source" is HAProxy\'s name'],
    [{ upstreams: { web: { scheduler: 'consistent-hash', hash_key: '$request_uri' } } }, 'upstreams.web.hash_key', '"path"? "$request_uri" is nginx\'s name'],
  ])('%j', (tree, path, guess) => {
    expect(suggestion(only(tree, path))).toBe(guess);
  });
});

describe('keys another proxy names differently', () => {
  it.each<[Tree, string, string]>([
    [{ routes: [{ upstream: 'web', match: { path: '/api' } }] }, 'routes[0].match.path', '"path_prefix"?'],
    [{ routes: [{ upstream: 'web', path: '/api' }] }, 'routes[0].path', '"path_prefix" under match?'],
    [{ routes: [{ upstream: 'web', location: '/api' }] }, 'routes[0].location', '"path_prefix" under match? "location" is nginx\'s name'],
    [{ routes: [{ upstream: 'web', match: { server_name: 'a.com' } }] }, 'routes[0].match.server_name', '"host"? "server_name" is nginx\'s name'],
    [{ routes: [{ upstream: 'web', backend: 'web' }] }, 'routes[0].backend', '"upstream"? "backend" is HAProxy\'s name'],
    [{ backend: {} }, 'backend', '"upstreams"? "backend" is HAProxy\'s name'],
    [{ location: {} }, 'location', '"routes"? "location" is nginx\'s name'],
    [{ upstreams: { web: { balance: 'leastconn' } } }, 'upstreams.web.balance', '"scheduler"? "balance" is HAProxy\'s name'],
    [{ upstreams: { web: { inter: '2s' } } }, 'upstreams.web.inter', '"interval" under health_check? "inter" is HAProxy\'s name'],
    [{ upstreams: { web: { health_check: { inter: '2s' } } } }, 'upstreams.web.health_check.inter', '"interval"? "inter" is HAProxy\'s name'],
    [{ upstreams: { web: { health_check: { fastinter: '1s' } } } }, 'upstreams.web.health_check.fastinter', '"fast_interval"? "fastinter" is HAProxy\'s name'],
    [{ upstreams: { web: { rise: 2 } } }, 'upstreams.web.rise', '"rise" under health_check?'],
    [{ upstreams: { web: { health_check: { uri: '/h' } } } }, 'upstreams.web.health_check.uri', '"path"? "uri" is HAProxy\'s name'],
    [{ upstreams: { web: { max_fails: 3 } } }, 'upstreams.web.max_fails', '"consecutive_gateway_failures" under outlier_detection? "max_fails" is nginx\'s name'],
    [{ upstreams: { web: { outlier_detection: { fail_timeout: '10s' } } } }, 'upstreams.web.outlier_detection.fail_timeout', '"base_ejection_time"? "fail_timeout" is nginx\'s name'],
    [{ upstreams: { web: { maxconn: 10 } } }, 'upstreams.web.maxconn', '"max_concurrent" under circuit_breaker? "maxconn" is HAProxy\'s name'],
    [{ upstreams: { web: { circuit_breaker: { max_pending_requests: 10 } } } }, 'upstreams.web.circuit_breaker.max_pending_requests', '"max_pending"? "max_pending_requests" is Envoy\'s name'],
    [{ upstreams: { web: { proxy_connect_timeout: '1s' } } }, 'upstreams.web.proxy_connect_timeout', '"connect" under timeouts? "proxy_connect_timeout" is nginx\'s name'],
    [{ upstreams: { web: { timeouts: { proxy_read_timeout: '1s' } } } }, 'upstreams.web.timeouts.proxy_read_timeout', '"response"? "proxy_read_timeout" is nginx\'s name'],
    [{ upstreams: { web: { keepalive_timeout: '1s' } } }, 'upstreams.web.keepalive_timeout', '"keep_alive"? "keepalive_timeout" is nginx\'s name'],
    [{ front: { keepalive_timeout: '1s' } }, 'front.keepalive_timeout', '"keep_alive" under timeouts? "keepalive_timeout" is nginx\'s name'],
    [{ front: { client_max_body_size: '1mb' } }, 'front.client_max_body_size', '"max_body_size"? "client_max_body_size" is nginx\'s name'],
    [{ front: { timeouts: { client_header_timeout: '1s' } } }, 'front.timeouts.client_header_timeout', '"headers"? "client_header_timeout" is nginx\'s name'],
    [{ upstreams: { web: { 'retry-on': ['502'] } } }, 'upstreams.web.retry-on', '"on" under retries? "retry-on" is HAProxy\'s name'],
    [{ upstreams: { web: { servers: [{ url: 'http://a', address: 'http://b' }] } } }, 'upstreams.web.servers[0].address', '"url"?'],
  ])('%j', (tree, path, guess) => {
    const rule = only(tree, path);
    expect(rule).toMatch(/^unknown key ".*"; expected one of: /);
    expect(suggestion(rule)).toBe(guess);
  });

  it('points nowhere a name does not belong: an upstream timeout under front, a front key under an upstream', () => {
    expect(suggestion(only({ front: { proxy_connect_timeout: '1s' } }, 'front.proxy_connect_timeout'))).toBe('');
    expect(suggestion(only({ front: { timeouts: { proxy_connect_timeout: '1s' } } }, 'front.timeouts.proxy_connect_timeout'))).toBe('');
    expect(suggestion(only({ upstreams: { web: { client_max_body_size: '1mb' } } }, 'upstreams.web.client_max_body_size'))).toBe('');
    expect(suggestion(only({ upstreams: { web: { path: '/api' } } }, 'upstreams.web.path'))).toBe('');
  });

  it('still suggests the nearest key for a typo', () => {
    expect(problems(upstreamWith({ schedular: 'random' }))).toEqual([
      'upstreams.web.schedular: unknown key "schedular"; expected one of: scheduler, hash_key, connections, keep_alive, timeouts, slow_start, health_check, outlier_detection, circuit_breaker, retries, sticky, tls, proxy_protocol, servers (did you mean "scheduler"?)',
    ]);
  });
});
