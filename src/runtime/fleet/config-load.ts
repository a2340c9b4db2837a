/**
 * @module runtime/fleet/config-load
 * A fleet node's config, as the reload pipeline loads it: the local file (validated on its
 * own: it is the bootstrap, and the source of the local blocks), then, once the node has
 * read a fleet config, that config combined with the local blocks (config/fleet-config),
 * validated as a whole. And the check a push passes before it is stored: the same, on the
 * node that receives it, with the pushed text in place of the stored one.
 */
import { combineConfig, placeIssues, pushedIssues } from '../../config/fleet-config.js';
import { parseConfigOffThread, type ParseOptions } from '../../config/index.js';
import { ConfigError, formatConfigIssue } from '../../core/errors.js';
import { stat } from 'node:fs/promises';
import type pino from 'pino';
import type { ActionResult } from '../../admin/actions.js';
import type { ConfigLoader } from '../reload.js';
import type { FleetConfigEntry, FleetConfigSync } from './config.js';

/** How a fleet version is named in issues and logs. */
export const fleetLabel = (version: number): string => `fleet config v${version}`;

/**
 * `local` loads and validates the local file (throwing its issues); `current` is the newest
 * fleet config the node has read. Issues in the fleet part name `fleetLabel(version)`.
 */
export function fleetLoader(local: ConfigLoader, file: string, opts: ParseOptions, current: () => FleetConfigEntry | undefined): ConfigLoader {
  const localText = localTextOf(local, file);
  return async () => {
    const entry = current();
    if (entry === undefined) return local();
    return combined(await localText(), file, opts, entry, fleetLabel(entry.version));
  };
}

/**
 * The local file's text, validated: read and parsed again only when the file changed (its
 * inode, size or mtime), as a fleet config arriving leaves it alone; each parse runs in a
 * worker thread (config/load) and is the bulk of a reload's time. A loader that is not a file
 * (`stat` fails: an embedder's) is always called.
 */
export function localTextOf(local: ConfigLoader, file: string): () => Promise<string> {
  let cached: { key: string; text: string } | undefined;
  return async () => {
    const key = await stat(file).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}`, () => undefined);
    if (key !== undefined && cached?.key === key) return cached.text;
    // The key is taken before the read: a file changed in between is read again next time.
    const { text } = await local();
    cached = key === undefined ? undefined : { key, text };
    return text;
  };
}

async function combined(localText: string, file: string, opts: ParseOptions, entry: { version: number; text: string }, label: string): ReturnType<ConfigLoader> {
  const early = pushedIssues(entry.text, label);
  if (early.length > 0) throw new ConfigError(early);
  const text = combineConfig(localText, file, entry);
  const parsed = await parseConfigOffThread(text, file, opts);
  if (parsed.config === undefined) throw new ConfigError(placeIssues(parsed.issues, entry.text, label, file));
  return { config: parsed.config, text, warnings: placeIssues(parsed.warnings, entry.text, label, file) };
}

/**
 * Why `text`, pushed as the fleet config, would not run on this node with its local blocks
 * (one line per issue, `label:line:col: key.path: rule`); [] when it would.
 */
export async function pushProblems(text: string, label: string, localText: () => Promise<string>, file: string, opts: ParseOptions): Promise<string[]> {
  try {
    await combined(await localText(), file, opts, { version: 0, text }, label);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatConfigIssue);
    return [String((err as Error).message ?? err)];
  }
}

/** What a push needs of the node: its loader and file (for the local blocks), its fleet config store. */
export interface PushDeps {
  /** The local file's text, validated (localTextOf). */
  readonly local: () => Promise<string>;
  readonly file: string;
  readonly opts: ParseOptions;
  readonly configs: FleetConfigSync;
  readonly node: string;
  readonly now: () => number;
  readonly logger: pino.Logger;
}

/**
 * POST /fleet/config: validates `text` on this node (400 with every issue, nothing stored),
 * then stores it as the next version (200 {version}; 503 while Redis is unreachable).
 */
export async function pushFleetConfig(text: string, label: string, d: PushDeps): Promise<ActionResult> {
  const problems = await pushProblems(text, label, d.local, d.file, d.opts);
  if (problems.length > 0) return { ok: false, status: 400, error: `${label} refused, nothing stored`, details: problems };
  try {
    const version = await d.configs.push(text, d.node, d.now());
    d.logger.info({ event: 'fleet_config_pushed', version, bytes: Buffer.byteLength(text) }, `fleet: config stored as version ${version}`);
    return { ok: true, body: { version } };
  } catch (err) {
    return { ok: false, status: 503, error: `fleet config not stored: ${String((err as Error).message ?? err)}` };
  }
}
