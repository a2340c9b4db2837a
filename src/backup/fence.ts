/**
 * @module backup/fence
 * The fencing-token check of fleet snapshots (issue 17). A fleet's leader writes each snapshot
 * under its term's token; `<dir>/.fence` holds the highest token committed in `dir`. A write
 * under a LOWER token is refused: it comes from a leader that a newer one has replaced (a
 * paused process waking after its lease ran out, a partitioned node), so it would put an older
 * view of the fleet above a newer one. The same token again is allowed: one term writes many
 * snapshots, and a leader-only job that repeats itself is harmless.
 *
 * Callers must hold the directory lock (backup/lock) across check() and commit(), with the
 * snapshot written between them: the check is a fence only because nothing can commit a
 * higher token in between.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BulwarkError, ErrorCodes } from '../core/errors.js';
import { errnoCode, fsError, syncDir, writeDurable } from './files.js';
import { isRecord } from './format.js';

export const FENCE_FILE = '.fence';

/** Who wrote a fleet snapshot: the leader node and its term's fencing token. */
export interface FenceToken {
  readonly node: string;
  readonly token: number;
}

interface Committed extends FenceToken {
  readonly snapshot: string;
}

/** The highest token committed in `dir`; undefined when none was. A damaged file is refused, not ignored. */
export async function readFence(dir: string): Promise<Committed | undefined> {
  const path = join(dir, FENCE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fsError(err, 'read the fencing token', path);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!isRecord(v) || !Number.isSafeInteger(v.token) || (v.token as number) < 1 || typeof v.node !== 'string' || typeof v.snapshot !== 'string') {
    // Forgetting the fence would let any stale leader write again: stop, and say how to recover.
    throw new BulwarkError(ErrorCodes.BACKUP_IO, `${path} is damaged (expected {"token", "node", "snapshot"}); no fleet snapshot is written until it is fixed or removed`);
  }
  return { token: v.token as number, node: v.node, snapshot: v.snapshot };
}

/** Throws BLWK_BACKUP_FENCED when a higher token than `t` was committed in `dir`. */
export async function checkFence(dir: string, t: FenceToken): Promise<void> {
  const high = await readFence(dir);
  if (high === undefined || t.token >= high.token) return;
  throw new BulwarkError(
    ErrorCodes.BACKUP_FENCED,
    `refusing the snapshot of node ${t.node} under fencing token ${t.token}: ${dir} already holds snapshot ${high.snapshot} of node ${high.node} ` +
      `under token ${high.token}. A newer leader has written since; this node is no longer the fleet's leader.`,
  );
}

/** Records `t` (after its snapshot is in place) as the highest token of `dir`, atomically. */
export async function commitFence(dir: string, t: FenceToken, snapshot: string): Promise<void> {
  const path = join(dir, FENCE_FILE);
  const tmp = `${path}.tmp`;
  try {
    await writeDurable(tmp, `${JSON.stringify({ token: t.token, node: t.node, snapshot })}\n`);
    await rename(tmp, path);
    await syncDir(dir);
  } catch (err) {
    throw fsError(err, 'record the fencing token in', path);
  }
}
