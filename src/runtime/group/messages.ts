/**
 * @module runtime/group/messages
 * The IPC messages between a worker group's primary and its workers (node:cluster's
 * channel, JSON). Servers are named by upstream and server name: each process has its own
 * Server objects, built from the same config text.
 */
import type { ImportMode, RepinReason, StickyEntry } from '../../balancer/sticky/index.js';
import type { ServerFlag } from '../../core/server.js';
import type { ReloadOutcome, ReloadTrigger } from '../reload.js';
import type { CounterSnapshot } from './snapshot.js';

/**
 * The flags the primary owns for the whole group: its health checks' and its admin API's.
 * `ejected` and `circuit_open` stay per worker: each decides on the traffic it sees.
 */
export const GROUP_FLAGS: ReadonlySet<ServerFlag> = new Set<ServerFlag>(['failed_health_check', 'draining', 'disabled']);

/** A flag set or cleared on the primary's server `upstream/server`. */
export interface FlagMessage {
  readonly type: 'flag';
  readonly upstream: string;
  readonly server: string;
  readonly flag: ServerFlag;
  readonly set: boolean;
  readonly reason: string;
  readonly at: number;
}

/** A weight set through the primary's admin API (POST .../weight). */
export interface WeightMessage {
  readonly type: 'weight';
  readonly upstream: string;
  readonly server: string;
  readonly weight: number;
}

/** The config a worker starts from, with the group's flags and weight overrides now. */
export interface InitMessage {
  readonly type: 'init';
  readonly file: string;
  readonly text: string;
  readonly flags: readonly FlagMessage[];
  readonly weights: readonly WeightMessage[];
  /**
   * The RESTART_KEYS' values the group runs (config/diff restartValues): those of its start,
   * which a reload does not change; the worker runs them whatever `text` says.
   */
  readonly restart: Readonly<Record<string, unknown>>;
  /** The primary's sticky sessions now (runtime/group/sessions), imported before the worker listens. */
  readonly sessions?: readonly StickyEntry[];
}

/** A config the primary has applied: the worker applies it through its own reload. */
export interface ConfigMessage {
  readonly type: 'config';
  readonly text: string;
  readonly trigger: ReloadTrigger;
  /** The primary's version of it. */
  readonly version: number;
  /** This message's: the worker's answer (`reloaded`) names it (runtime/group/reloads). */
  readonly id: number;
}

/** The primary asks for a worker's counters (runtime/group/counters); the worker answers with the same id. */
export interface SnapshotRequest {
  readonly type: 'snapshot';
  readonly id: number;
}

/**
 * A session pinned by a worker (to the primary), or by another worker (from the primary,
 * which applied it to its own table): set in the receiver's table of `upstream`.
 */
export interface PinMessage {
  readonly type: 'pin';
  readonly upstream: string;
  readonly key: string;
  readonly server: string;
  readonly reason: RepinReason | 'other';
}

/** Sessions a worker has read lately: their ttl restarts in the receiver's table too (kept if present). */
export interface TouchMessage {
  readonly type: 'touch';
  readonly upstream: string;
  readonly keys: readonly string[];
}

/** Sessions imported into the primary's tables (POST /sessions/import, a backup restore): imported the same way. */
export interface SessionsMessage {
  readonly type: 'sessions';
  readonly mode: ImportMode;
  readonly entries: readonly StickyEntry[];
}

export type ToWorker =
  | InitMessage
  | ConfigMessage
  | FlagMessage
  | WeightMessage
  | SnapshotRequest
  | PinMessage
  | TouchMessage
  | SessionsMessage
  | { readonly type: 'stop' }
  | { readonly type: 'reopen' };

export type FromWorker =
  | { readonly type: 'hello' }
  | { readonly type: 'ready'; readonly listen: readonly string[] }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'reloaded'; readonly id: number; readonly version: number; readonly outcome: ReloadOutcome }
  | { readonly type: 'counters'; readonly id: number; readonly snapshot: CounterSnapshot }
  | PinMessage
  | TouchMessage;

const TO_WORKER = new Set(['init', 'config', 'flag', 'weight', 'snapshot', 'pin', 'touch', 'sessions', 'stop', 'reopen']);
const FROM_WORKER = new Set(['hello', 'ready', 'failed', 'reloaded', 'counters', 'pin', 'touch']);

const typed = (m: unknown, types: ReadonlySet<string>): boolean =>
  typeof m === 'object' && m !== null && types.has(String((m as { type?: unknown }).type));

/** Whether `m` is one of ours (cluster also delivers its own internal messages, and a user's). */
export const isToWorker = (m: unknown): m is ToWorker => typed(m, TO_WORKER);
export const isFromWorker = (m: unknown): m is FromWorker => typed(m, FROM_WORKER);
