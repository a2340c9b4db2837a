/**
 * @module config/fleet-config
 * How a config pushed to the fleet (POST /fleet/config) combines with a node's own file.
 * The pushed file holds the shared blocks (upstreams, routes, log, backup, ...); the local
 * blocks (LOCAL_KEYS) are each node's own and a pushed file holding one is refused. A node
 * with a fleet config runs: the fleet file's blocks, plus its local file's local blocks.
 * The fleet wins: the local file's other blocks are its bootstrap, used only until the node
 * has read a fleet config. The combined text is the fleet text unchanged followed by the
 * local blocks, so an issue in the fleet part keeps the pushed file's line and column.
 */
import { isMap, isScalar, stringify } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';
import { parseYaml } from './yaml.js';

/** The blocks that stay per node: refused in a pushed file, taken from the local file. */
export const LOCAL_KEYS = ['listen', 'admin', 'fleet', 'workers'] as const;

const WHY: Record<(typeof LOCAL_KEYS)[number], string> = {
  listen: "is a node's own (its proxy listeners)",
  admin: "is a node's own (its admin listener)",
  fleet: "is a node's own (its Redis and node name)",
  workers: "is a node's own (its process count, read at start)",
};

/** The top-level keys of a YAML text with their positions; syntax errors as issues. */
function topKeys(text: string, file: string): { keys: { key: string; line: number; column: number }[]; errors: ConfigIssue[]; value: (key: string) => unknown } {
  const { source, errors } = parseYaml(text, file);
  const root = source.doc.contents;
  const keys: { key: string; line: number; column: number }[] = [];
  if (errors.length === 0 && isMap(root)) {
    for (const pair of root.items) {
      const k = isScalar(pair.key) ? pair.key : null;
      if (k !== null && typeof k.value === 'string') keys.push({ key: k.value, ...source.position(k) });
    }
  }
  return { keys, errors, value: (key) => (source.doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null)?.[key] };
}

/**
 * Why a pushed text cannot be a fleet config, before it is validated as a whole: YAML
 * syntax errors, or a local block (at its key's position). [] when it may be combined.
 */
export function pushedIssues(text: string, file: string): ConfigIssue[] {
  const { keys, errors } = topKeys(text, file);
  if (errors.length > 0) return errors;
  const { source } = parseYaml(text, file);
  const root = source.doc.contents;
  // The node appends its local blocks after the text: that needs a block mapping, left open.
  if (root !== null && !(isMap(root) && !root.flow)) return [source.issueAt(root, '', 'a fleet config must be a mapping of blocks (upstreams:, routes:, ...), one per line')];
  if (source.doc.directives?.docEnd === true) return [source.issueAt(root, '', 'a fleet config must not end its document with "..."')];
  return keys
    .filter((k) => (LOCAL_KEYS as readonly string[]).includes(k.key))
    .map((k) => ({ file, line: k.line, column: k.column, path: k.key, rule: `${WHY[k.key as (typeof LOCAL_KEYS)[number]]}: not allowed in a fleet config; set it in each node's local file` }));
}

/**
 * The text a node runs: `fleetText` as it is, then the local blocks of `localText` (a valid
 * config: the caller validated it), written out as YAML (aliases resolved). The caller
 * checked `fleetText` with pushedIssues, so no key appears twice.
 */
export function combineConfig(localText: string, localFile: string, fleet: { version: number; text: string }): string {
  const fleetText = fleet.text;
  const local = topKeys(localText, localFile);
  const blocks: Record<string, unknown> = {};
  for (const { key } of local.keys) if ((LOCAL_KEYS as readonly string[]).includes(key)) blocks[key] = local.value(key);
  const tail = Object.keys(blocks).length === 0 ? '' : stringify(blocks, { lineWidth: 0 });
  const body = fleetText.endsWith('\n') || fleetText === '' ? fleetText : `${fleetText}\n`;
  // An empty fleet file (or one holding only comments) is an empty mapping.
  return `${body}${MARK}${fleet.version}: the local blocks of ${localFile} follow\n${tail}`;
}

const MARK = '# bulwark fleet config v';
const MARKED = /^# bulwark fleet config v(\d+): the local blocks of /gm;

/** The fleet config version a combined text holds (its last mark); 0 for a local file's own text. */
export function fleetVersionOf(text: string): number {
  let version = 0;
  for (const m of text.matchAll(MARKED)) version = Number(m[1]);
  return version;
}

/**
 * Issues found in a combined text, named by the file their key comes from: a local block's
 * from `localFile` (its line in the combined text means nothing there: 0), any other from
 * the fleet file (`fleetLabel`), whose lines the combined text keeps.
 */
export function placeIssues(issues: readonly ConfigIssue[], fleetText: string, fleetLabel: string, localFile: string): ConfigIssue[] {
  const fleetLines = fleetText.split('\n').length - (fleetText.endsWith('\n') ? 1 : 0);
  return issues.map((i) => {
    const top = /^[^.[]*/.exec(i.path)![0];
    if ((LOCAL_KEYS as readonly string[]).includes(top)) return { ...i, file: `${localFile} (local blocks)`, line: 0, column: 0 };
    return i.line <= fleetLines ? { ...i, file: fleetLabel } : { ...i, file: fleetLabel, line: 0, column: 0 };
  });
}
