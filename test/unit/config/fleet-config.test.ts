/**
 * @module test/unit/config/fleet-config
 * A pushed fleet config: local blocks refused at their position, and how it combines with
 * a node's local file (the fleet text unchanged, then the local blocks; the version mark).
 */
import { describe, expect, it } from 'vitest';
import { combineConfig, fleetVersionOf, placeIssues, pushedIssues } from '../../../src/config/fleet-config.js';
import { parseConfig } from '../../../src/config/index.js';

const LOCAL = `listen: &l 127.0.0.1:8080
admin: { listen: 127.0.0.1:9090 }
workers: 1
upstreams:
  local: { servers: [{ url: http://127.0.0.1:7000 }] }
routes:
  - { upstream: local }
fleet: { redis: "redis://127.0.0.1:6379", node: a }
`;
const PUSHED = `# shared
upstreams:
  web: { servers: [{ url: http://127.0.0.1:7001 }, { url: http://127.0.0.1:7002 }] }
routes:
  - { upstream: web }
`;

describe('pushedIssues', () => {
  it('accepts shared blocks only', () => {
    expect(pushedIssues(PUSHED, 'push.yaml')).toEqual([]);
    expect(pushedIssues('', 'push.yaml')).toEqual([]);
  });

  it('refuses each local block at its key, naming it', () => {
    const issues = pushedIssues(`upstreams: {}\nlisten: 127.0.0.1:80\nadmin: {}\nfleet: {}\nworkers: 2\n`, 'push.yaml');
    expect(issues.map((i) => [i.line, i.column, i.path])).toEqual([[2, 1, 'listen'], [3, 1, 'admin'], [4, 1, 'fleet'], [5, 1, 'workers']]);
    expect(issues[0]!.rule).toMatch(/not allowed in a fleet config; set it in each node's local file/);
    expect(issues[0]!.file).toBe('push.yaml');
  });

  it('refuses a YAML syntax error, a flow mapping, a list and an ended document', () => {
    expect(pushedIssues('upstreams: [\n', 'p')[0]!.rule).toMatch(/YAML syntax error/);
    expect(pushedIssues('{ upstreams: {} }\n', 'p')[0]!.rule).toMatch(/must be a mapping of blocks/);
    expect(pushedIssues('- a\n', 'p')[0]!.rule).toMatch(/must be a mapping of blocks/);
    expect(pushedIssues('upstreams: {}\n...\n', 'p')[0]!.rule).toMatch(/must not end its document/);
  });
});

describe('combineConfig', () => {
  it('runs the fleet blocks with the local blocks (aliases resolved), and the local file\'s others are left out', () => {
    const text = combineConfig(LOCAL, '/etc/a.yaml', { version: 7, text: PUSHED });
    expect(text.startsWith(PUSHED)).toBe(true);
    const { config, issues } = parseConfig(text, '/etc/a.yaml');
    expect(issues).toEqual([]);
    expect([...config!.upstreams.keys()]).toEqual(['web']);
    expect(config!.listen[0]!.address.port).toBe(8080);
    expect(config!.admin.listen.port).toBe(9090);
    expect(config!.fleet?.node).toBe('a');
    expect(fleetVersionOf(text)).toBe(7);
  });

  it('appends to a text with no final newline; an empty one lacks the required blocks', () => {
    expect(parseConfig(combineConfig(LOCAL, 'a', { version: 1, text: PUSHED.trimEnd() }), 'a').issues).toEqual([]);
    // Empty: the fleet config lacks what every config needs, and the issue names the fleet file.
    const empty = parseConfig(combineConfig(LOCAL, 'a', { version: 2, text: '' }), 'a');
    expect(placeIssues(empty.issues, '', 'fleet config v2', 'a').map((i) => [i.file, i.path, i.rule])).toEqual([
      ['fleet config v2', 'upstreams', 'is required'],
      ['fleet config v2', 'routes', 'is required'],
    ]);
  });

  it('reads version 0 from a local file\'s own text, and the last mark when the fleet text carries one', () => {
    expect(fleetVersionOf(LOCAL)).toBe(0);
    const sneaky = `# bulwark fleet config v99: the local blocks of x follow\n${PUSHED}`;
    expect(fleetVersionOf(combineConfig(LOCAL, 'a', { version: 3, text: sneaky }))).toBe(3);
  });
});

describe('placeIssues', () => {
  it('names the fleet file for its lines and the local file for the local blocks', () => {
    const bad = `upstreams:\n  web: { servers: [{ url: http://127.0.0.1:7001 }], balance: nope }\nroutes:\n  - { upstream: web }\n`;
    const text = combineConfig(LOCAL, '/etc/a.yaml', { version: 2, text: bad });
    const placed = placeIssues(parseConfig(text, '/etc/a.yaml').issues, bad, 'fleet config v2', '/etc/a.yaml');
    expect(placed.length).toBeGreaterThan(0);
    expect(placed[0]).toMatchObject({ file: 'fleet config v2', line: 2, path: 'upstreams.web.balance' });
    expect(placeIssues([{ file: 'x', line: 9, column: 3, path: 'listen', rule: 'r' }], bad, 'f', '/etc/a.yaml')[0]).toMatchObject({ file: '/etc/a.yaml (local blocks)', line: 0 });
  });
});
