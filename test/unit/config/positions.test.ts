/**
 * @module test/unit/config/positions
 * Where issues point: exact line, column and path for many rules at once (which also shows
 * that one pass collects them all), YAML syntax errors, duplicate keys and aliases.
 */
import { describe, expect, it } from 'vitest';
import { FILE, issues, located } from './fixtures.js';

const BROKEN = `listen: [":8080", "0.0.0.0:8080"]
admin:
  listen: 127.0.0.1:99999
log: { level: loud }
front:
  timeouts:
    headers: 10
  max_body_size: 5 mb
upstreams:
  web:
    schedular: random
    hash_key: ip
    connections: 0
    servers:
      - url: http://127.0.0.1:3001/x
        weight: 1001
      - { url: http://127.0.0.1:3002, name: web-1 }
      - name: web-9
routes:
  - match: { host: "a.com:80", path_prefix: api }
    upstream: web
  - upstream: nowhere
`;

describe('issue positions', () => {
  it('collects every issue in one pass, in file order, each with line, column, path and rule', () => {
    expect(located(BROKEN)).toEqual([
      [1, 19, 'listen[1]', 'duplicate address 0.0.0.0:8080: already used by listen[0]'],
      [3, 11, 'admin.listen', 'port must be an integer between 0 and 65535'],
      [4, 15, 'log.level', 'must be one of: fatal, error, warn, info, debug, trace, silent'],
      [7, 14, 'front.timeouts.headers', 'must be a duration like 500ms, 2s, 1m or 7d'],
      [8, 18, 'front.max_body_size', 'must be a size like 512b, 16kb or 10mb'],
      [
        11,
        5,
        'upstreams.web.schedular',
        'unknown key "schedular"; expected one of: scheduler, hash_key, connections, keep_alive, timeouts, slow_start, ' +
          'health_check, outlier_detection, circuit_breaker, retries, sticky, tls, proxy_protocol, servers (did you mean "scheduler"?)',
      ],
      [13, 18, 'upstreams.web.connections', 'must be an integer between 1 and 10000'],
      [15, 14, 'upstreams.web.servers[0].url', 'must not have a path (got "/x"); routes choose paths'],
      [16, 17, 'upstreams.web.servers[0].weight', 'must be an integer between 1 and 1000'],
      [17, 45, 'upstreams.web.servers[1].name', 'duplicate server name "web-1"; upstreams.web.servers[0] has the same name'],
      [18, 9, 'upstreams.web.servers[2].url', 'is required'],
      [20, 20, 'routes[0].match.host', 'must not include a port'],
      [20, 45, 'routes[0].match.path_prefix', 'must start with "/"'],
      [22, 15, 'routes[1].upstream', 'unknown upstream "nowhere"; defined: web'],
    ]);
    expect(issues(BROKEN).every((i) => i.file === FILE)).toBe(true);
  });

  it('points a missing required key at its parent mapping', () => {
    const text = 'upstreams:\n  web:\n    scheduler: random\nroutes:\n  - match:\n      host: a.com\n';
    expect(located(text)).toEqual([
      [3, 5, 'upstreams.web.servers', 'is required'],
      [5, 5, 'routes[0].upstream', 'is required'],
    ]);
  });

  it('points a duplicate key at the second occurrence', () => {
    const text = 'upstreams:\n  web:\n    servers: [{ url: "http://a" }]\n    servers: [{ url: "http://b" }]\nroutes: [{ upstream: web }]\n';
    expect(located(text)).toEqual([[4, 5, 'upstreams.web.servers', 'duplicate key "servers" (first at line 3)']]);
  });

  it('points a value reached through an alias at the anchored value', () => {
    const text = 'x-timeout: &t 5\nupstreams:\n  web:\n    keep_alive: *t\n    servers: [{ url: "http://a" }]\nroutes: [{ upstream: web }]\n';
    expect(located(text)).toEqual([
      [1, 1, 'x-timeout', 'unknown key "x-timeout"; expected one of: listen, admin, log, metrics, front, upstreams, routes, backup, alerts, workers, trusted_proxies, fleet'],
      [1, 15, 'upstreams.web.keep_alive', 'must be a duration like 500ms, 2s, 1m or 7d'],
    ]);
  });

  it('reports YAML syntax errors with their positions and nothing else', () => {
    expect(located('upstreams:\n  web:\n    servers: [ { url: http://a }\nroutes: []\n')).toEqual([
      [4, 1, '', 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ]);
    expect(located('upstreams: "unterminated\n')).toEqual([[2, 1, '', 'YAML syntax error: Missing closing "quote']]);
    expect(located('listen: 80\n  admin: 1\n')).toEqual([
      [1, 9, '', 'YAML syntax error: Nested mappings are not allowed in compact mappings'],
      [1, 9, '', 'YAML syntax error: Implicit keys need to be on a single line'],
    ]);
  });

  it('rejects a stream of several documents', () => {
    expect(located('listen: 80\n---\nlisten: 81\n')).toEqual([[2, 1, '', expect.stringMatching(/^YAML syntax error: Source contains multiple documents/)]]);
  });

  it('reports unresolved tags as issues and still validates the rest', () => {
    expect(located('listen: !port 80\nupstreams: {}\nroutes: [{ upstream: web }]\n')).toEqual([
      [1, 9, '', 'YAML: Unresolved tag: !port'],
      [2, 12, 'upstreams', 'must define at least one upstream'],
    ]);
  });
});
