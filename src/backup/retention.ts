/**
 * @module backup/retention
 * Which snapshots to keep, and pruning the rest.
 *
 * Policy: keep the newest `keep_last` valid snapshots, plus every valid one newer than
 * `now - keep_within`. The newest valid snapshot is never removed, whatever the policy.
 * Damaged snapshots older than the newest valid one are removed (they can never be restored);
 * damaged ones newer than it are kept for a person to look at. "Valid" here means not damaged:
 * a snapshot that only lacks the right key, or has a format this bulwark does not read, is
 * kept like a good one, so a wrong key or a downgrade never deletes backups.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError, removeTempFolders, syncDir } from './files.js';
import { TMP_PREFIX } from './format.js';
import { acquireLock } from './lock.js';
import { listSnapshots } from './store.js';
import { verifySnapshot, type KeyOption } from './verify.js';

export interface RetentionPolicy {
  /** How many of the newest valid snapshots to keep (0 still keeps the newest valid one). */
  readonly keep_last: number;
  /** Keep every valid snapshot newer than this many milliseconds. */
  readonly keep_within: number;
}

export interface RetentionCandidate {
  readonly id: string;
  readonly time: Date;
  readonly valid: boolean;
}

export interface RetentionPlan {
  /** Newest first. */
  readonly keep: string[];
  /** Newest first. */
  readonly remove: string[];
}

/** Decides what `policy` keeps at `now` (epoch ms). Pure. */
export function planRetention(snapshots: readonly RetentionCandidate[], policy: RetentionPolicy & { readonly now: number }): RetentionPlan {
  const { keep_last, keep_within, now } = policy;
  if (!Number.isSafeInteger(keep_last) || keep_last < 0) throw new RangeError(`keep_last must be a whole number, got ${keep_last}`);
  if (!(keep_within >= 0)) throw new RangeError(`keep_within must be a duration in ms >= 0, got ${keep_within}`);
  const sorted = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1));
  const plan: RetentionPlan = { keep: [], remove: [] };
  let validSeen = 0;
  for (const s of sorted) {
    let keep: boolean;
    if (!s.valid) keep = validSeen === 0;
    else keep = validSeen === 0 || validSeen < keep_last || s.time.getTime() > now - keep_within;
    if (s.valid) validSeen++;
    (keep ? plan.keep : plan.remove).push(s.id);
  }
  return plan;
}

export interface PruneOptions extends KeyOption {
  /** Epoch ms; Date.now by default. */
  readonly now?: () => number;
  /**
   * A snapshot the caller has just written itself (createSnapshot hashed every part as it
   * wrote and synced it): taken as valid without being read back, when its manifest reads.
   * The agent prunes after each snapshot; re-reading and hashing ~10 MB it wrote a moment
   * ago would double its disk and CPU cost for nothing.
   */
  readonly justWritten?: string;
}

export interface PruneResult {
  /** Snapshot ids removed, newest first. */
  readonly removed: string[];
  /** Snapshot ids kept, newest first. */
  readonly kept: string[];
  /** Leftover `.tmp-*` folders removed (from crashed or failed writes). */
  readonly temp_removed: string[];
}

/** Applies `policy` to `dir` under its lock; also removes leftover temp folders. */
export async function prune(dir: string, policy: RetentionPolicy, opts: PruneOptions = {}): Promise<PruneResult> {
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return { removed: [], kept: [], temp_removed: [] };
  const release = await acquireLock(dir);
  try {
    const temp_removed = await removeTempFolders(dir);
    // Only the newest valid snapshot needs a full verification (it is the one retention
    // must never remove); older ones count as valid when their manifest reads. Hashing,
    // decrypting and parsing every kept snapshot (thousands, at a 5 m interval over 7 d)
    // on each prune would cost gigabytes of reads for no decision that depends on it.
    const candidates: RetentionCandidate[] = [];
    let newestValidSeen = false;
    for (const s of await listSnapshots(dir)) {
      const readable = s.manifest !== undefined && s.error === undefined;
      // A manifest that doesn't read (or is from a newer format) and the newest valid
      // candidate get the full check; `damaged` is false for a key or version problem,
      // which must never lead to deletion.
      let valid = readable;
      if (!readable || (!newestValidSeen && s.id !== opts.justWritten)) valid = !(await verifySnapshot(dir, s.id, opts)).damaged;
      if (readable && valid) newestValidSeen = true;
      candidates.push({ id: s.id, time: s.time, valid });
    }
    const plan = planRetention(candidates, { ...policy, now: (opts.now ?? Date.now)() });
    for (const id of plan.remove) {
      // Rename first (atomic), so a crash mid-removal leaves a .tmp-* folder, not half a snapshot.
      const doomed = join(dir, `${TMP_PREFIX}removing-${id}`);
      try {
        await rename(join(dir, id), doomed);
        await rm(doomed, { recursive: true, force: true });
      } catch (err) {
        throw fsError(err, `remove snapshot ${id} from`, dir);
      }
    }
    if (plan.remove.length > 0) await syncDir(dir);
    return { removed: plan.remove, kept: plan.keep, temp_removed };
  } finally {
    await release();
  }
}
