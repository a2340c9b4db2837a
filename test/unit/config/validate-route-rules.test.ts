/**
 * @module test/unit/config/validate-route-rules
 * The rule keys of a route: strip_prefix and add_prefix, with positioned errors.
 */
import { describe, expect, it } from 'vitest';
import { onlyRule, valid, yamlWith } from './fixtures.js';

const route = (r: Record<string, unknown>): string => yamlWith({ routes: [{ upstream: 'web', ...r }] });

describe('route path rewriting', () => {
  it('reads strip_prefix and add_prefix as written; absent: undefined', () => {
    expect(valid(route({ strip_prefix: '/api', add_prefix: '/v2/' })).routes[0]).toMatchObject({ strip_prefix: '/api', add_prefix: '/v2/' });
    const plain = valid(route({})).routes[0]!;
    expect(plain.strip_prefix).toBeUndefined();
    expect(plain.add_prefix).toBeUndefined();
  });

  it.each([
    ['api', 'must be a path starting with "/", like /api'],
    [5, 'must be a path starting with "/", like /api'],
    ['/', 'must name at least one segment ("/" alone changes nothing)'],
    ['/a//b', 'must not contain "//"'],
    ['//a', 'must not contain "//"'],
    ['/a/../b', 'must not contain "." or ".." segments'],
    ['/a/.', 'must not contain "." or ".." segments'],
    ['/a%2Fb', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a?b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
    ['/a\\b', 'may only contain letters, digits, "/" and -._~!$&\'()*+,;=:@ (no "%", "?", "#", spaces or backslashes)'],
  ])('refuses %j at its position', (value, rule) => {
    expect(onlyRule(route({ strip_prefix: value }), 'routes[0].strip_prefix')).toBe(rule);
    expect(onlyRule(route({ add_prefix: value }), 'routes[0].add_prefix')).toBe(rule);
  });
});

describe('route headers', () => {
  const headers = (h: unknown): string => route({ headers: h });

  it('reads set (names lower-cased, values as written) and remove for both sides', () => {
    const r = valid(headers({ request: { set: { 'X-Env': 'prod', 'X-Client': '${client_ip} via ${request_id}' }, remove: ['X-Debug'] }, response: { set: { 'X-Served-By': 'bulwark' }, remove: ['Server'] } })).routes[0]!;
    expect(r.headers).toEqual({
      request: { set: { 'x-env': 'prod', 'x-client': '${client_ip} via ${request_id}' }, remove: ['x-debug'] },
      response: { set: { 'x-served-by': 'bulwark' }, remove: ['server'] },
    });
    expect(valid(headers({})).routes[0]!.headers).toBeUndefined();
    expect(valid(route({})).routes[0]!.headers).toBeUndefined();
  });

  it.each([
    [{ request: { set: { 'X-A': '${clientip}' } } }, 'routes[0].headers.request.set.X-A', 'unknown variable "${clientip}"; known: ${client_ip}, ${request_id} (did you mean "client_ip"?)'],
    [{ request: { set: { 'X-A': 'a ${request_id' } } }, 'routes[0].headers.request.set.X-A', 'unterminated "${": write a variable as one of ${client_ip}, ${request_id}'],
    [{ response: { set: { 'X-A': 'a\r\nSet-Cookie: x=1' } } }, 'routes[0].headers.response.set.X-A', 'must be printable ASCII on one line (no CR, LF or other control characters; RFC 9110 §5.5)'],
    [{ response: { set: { 'X-A': ' padded' } } }, 'routes[0].headers.response.set.X-A', 'must not start or end with a space or tab (RFC 9110 §5.5)'],
    [{ response: { set: { 'X-A': 5 } } }, 'routes[0].headers.response.set.X-A', 'must be a string (quote numbers and true/false: "200")'],
    [{ request: { set: { 'X A': 'v' } } }, 'routes[0].headers.request.set["X A"]', "header name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
    [{ request: { remove: ['Bad:Name'] } }, 'routes[0].headers.request.remove[0]', "header name must be a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)"],
    [{ request: { set: { Connection: 'close' } } }, 'routes[0].headers.request.set.Connection', '"connection" cannot be set or removed: it is a hop-by-hop field (RFC 9110 §7.6.1): it describes one connection and never crosses bulwark'],
    [{ response: { remove: ['Transfer-Encoding'] } }, 'routes[0].headers.response.remove[0]', '"transfer-encoding" cannot be set or removed: it is a hop-by-hop field (RFC 9110 §7.6.1): it describes one connection and never crosses bulwark'],
    [{ response: { set: { 'HTTP2-Settings': 'AAMA' } } }, 'routes[0].headers.response.set.HTTP2-Settings', '"http2-settings" cannot be set or removed: it is a hop-by-hop field (RFC 9110 §7.6.1): it describes one connection and never crosses bulwark'],
    [{ response: { set: { 'Content-Length': '1' } } }, 'routes[0].headers.response.set.Content-Length', '"content-length" cannot be set or removed: it frames the message body: it is the sender\'s to set, never a route\'s'],
    [{ request: { remove: ['X-Request-Id'] } }, 'routes[0].headers.request.remove[0]', '"x-request-id" cannot be set or removed: it is bulwark\'s request id (kept from the client or made) and is what the logs are joined on'],
    [{ request: { set: { Host: 'other' } } }, 'routes[0].headers.request.set.Host', '"host" cannot be set or removed: it is what routes match and what the upstream\'s virtual hosts read; match on it instead of rewriting it'],
    [{ request: { set: { 'X-A': 'v' }, remove: ['x-a'] } }, 'routes[0].headers.request.remove[0]', '"x-a" is also under routes[0].headers.request.set, which already replaces it'],
    [{ request: { set: { 'X-A': 'v', 'x-a': 'w' } } }, 'routes[0].headers.request.set.x-a', 'sets "x-a" twice (header names ignore case)'],
    [{ request: { remove: 'X-A' } }, 'routes[0].headers.request.remove', 'must be a list'],
    [{ request: { add: { 'X-A': 'v' } } }, 'routes[0].headers.request.add', 'unknown key "add"; expected one of: set, remove'],
    [{ both: {} }, 'routes[0].headers.both', 'unknown key "both"; expected one of: request, response'],
  ])('refuses %j at its position', (h, path, rule) => {
    expect(onlyRule(headers(h), path)).toBe(rule);
  });

  it('lets a response set Host-like fields the request side refuses', () => {
    expect(valid(headers({ response: { set: { Host: 'x' } } })).routes[0]!.headers?.response.set).toEqual({ host: 'x' });
  });
});

describe('route max_body_size', () => {
  it('reads a size (IEC units too); absent: undefined', () => {
    expect(valid(route({ max_body_size: '1MiB' })).routes[0]!.max_body_size).toBe(1_048_576);
    expect(valid(route({ max_body_size: 0 })).routes[0]!.max_body_size).toBe(0);
    expect(valid(route({})).routes[0]!.max_body_size).toBeUndefined();
  });

  it('refuses what is not a size, at its position', () => {
    expect(onlyRule(route({ max_body_size: '1 MB' }), 'routes[0].max_body_size')).toBe('must be a size like 512b, 16kb or 10mb');
    expect(onlyRule(route({ max_body_size: -1 }), 'routes[0].max_body_size')).toBe('must be a size like 512b, 16kb or 10mb');
  });
});
