/**
 * @module test/unit/config/fixtures
 * Builders shared by the config tests: a minimal valid config, deep-merged overrides
 * rendered back to YAML, and short views of the issues a config produces.
 */
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/index.js';
import type { BulwarkConfig, UpstreamConfig } from '../../../src/core/config.js';
import type { ConfigIssue } from '../../../src/core/errors.js';

export const FILE = 'test.yaml';

/** The smallest valid config: one upstream `web` with one server, one catch-all route. */
export const MINIMAL = `upstreams:
  web:
    servers:
      - url: http://127.0.0.1:3001
routes:
  - upstream: web
`;

type Tree = { [key: string]: unknown };
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTree(v) && isTree(out[k]) ? merge(out[k] as Tree, v) : v;
  return out;
}

/** MINIMAL with `over` deep-merged in (lists are replaced, not merged), as YAML text. */
export function yamlWith(over: Tree): string {
  const base = { upstreams: { web: { servers: [{ url: 'http://127.0.0.1:3001' }] } }, routes: [{ upstream: 'web' }] };
  return stringify(merge(base, over));
}

/** MINIMAL with `over` merged into upstream `web`. */
export function upstreamWith(over: Tree): string {
  return yamlWith({ upstreams: { web: over } });
}

/** MINIMAL whose `web` upstream has one server with these fields. */
export function serverWith(server: Tree): string {
  return upstreamWith({ servers: [server] });
}

export function issues(text: string): ConfigIssue[] {
  return parseConfig(text, FILE).issues;
}

/** Issues as [line, column, path, rule], for tests of where issues point. */
export function located(text: string): [number, number, string, string][] {
  return issues(text).map((i) => [i.line, i.column, i.path, i.rule]);
}

/** Issues as "path: rule", the form tests compare most easily. */
export function problems(text: string): string[] {
  return issues(text).map((i) => (i.path ? `${i.path}: ${i.rule}` : i.rule));
}

/** The config, failing the test with every issue when there are any. */
export function valid(text: string): BulwarkConfig {
  const { config, issues: found } = parseConfig(text, FILE);
  expect(found).toEqual([]);
  if (!config) throw new Error('no config');
  return config;
}

/** The `web` upstream of a config that must be valid. */
export function web(text: string): UpstreamConfig {
  return valid(text).upstreams.get('web') as UpstreamConfig;
}

/** The one rule broken at `path`, asserting it is the only issue. */
export function onlyRule(text: string, path: string): string {
  const found = issues(text);
  expect(found.map((i) => i.path)).toEqual([path]);
  return (found[0] as ConfigIssue).rule;
}
