/**
 * @module backup
 * The storage library of bulwark's backup sidecar: versioned, atomic, checksummed and
 * optionally encrypted snapshots of the running config and the sticky-session table, with
 * verification, recovery-point lookup and retention. No network code: callers pass the data.
 */
export {
  FORMAT_VERSION,
  MAX_READABLE_VERSION,
  MIN_READABLE_VERSION,
  type EncryptionInfo,
  type Manifest,
  type PartInfo,
  type PartName,
} from './format.js';
export { fsError } from './files.js';
export { readFence, type FenceToken } from './fence.js';
export { createSnapshot, listSnapshots, type SnapshotInput, type SnapshotListing } from './store.js';
export {
  BackupInvalidError,
  findBefore,
  newestValid,
  readSnapshot,
  verifySnapshot,
  type KeyOption,
  type NewestValid,
  type SnapshotData,
  type VerifyResult,
} from './verify.js';
export {
  planRetention,
  prune,
  type PruneOptions,
  type PruneResult,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
} from './retention.js';
