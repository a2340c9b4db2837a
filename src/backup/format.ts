/**
 * @module backup/format
 * The on-disk format of a backup snapshot (format version 2) and small pure helpers.
 * Version 2 spells the session expiry `expires_at`, as GET /sessions/export does; version
 * 1 spelled it `expiresAt`, and is still read (balancer/sticky/ndjson accepts both).
 *
 * A snapshot is a folder `<dir>/<id>/` holding `config.yaml`, `sessions.ndjson` (each with
 * `.enc` appended when encrypted) and `manifest.json`, which is written last. Like HAProxy's
 * server-state file, a reader accepts the versions MIN_READABLE_VERSION..MAX_READABLE_VERSION
 * and refuses any other by name instead of half-reading it.
 *
 * Ids sort by time: `20261128T100000123Z-a1b2` (UTC to the millisecond, 4 random hex digits).
 */
import { createHash } from 'node:crypto';

export const FORMAT_VERSION = 2;
export const MIN_READABLE_VERSION = 1;
export const MAX_READABLE_VERSION = 2;

export const MANIFEST_FILE = 'manifest.json';
export const LOCK_FILE = '.lock';
/** Prefix of folders being written (or removed); never listed, removed by the next create/prune. */
export const TMP_PREFIX = '.tmp-';

export const PART_NAMES = ['config', 'sessions'] as const;
export type PartName = (typeof PART_NAMES)[number];

const PART_BASE: Record<PartName, string> = { config: 'config.yaml', sessions: 'sessions.ndjson' };

/** The file name a part has on disk. */
export function partFile(part: PartName, encrypted: boolean): string {
  return encrypted ? `${PART_BASE[part]}.enc` : PART_BASE[part];
}

export interface PartInfo {
  readonly file: string;
  /** Size of the file as stored (after encryption, when encrypted). */
  readonly bytes: number;
  /** sha256 (hex) of the bytes as stored on disk. */
  readonly sha256: string;
}

/** How an encrypted snapshot's key was derived; each part file is iv(12) | tag(16) | ciphertext. */
export interface EncryptionInfo {
  readonly cipher: 'aes-256-gcm';
  readonly kdf: 'scrypt';
  /** Random per-snapshot salt, hex. */
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface Manifest {
  readonly format_version: number;
  readonly id: string;
  /** ISO 8601, the same instant as the id. */
  readonly created_at: string;
  readonly config_version: number;
  readonly session_count: number;
  readonly encrypted: boolean;
  /** Present exactly when `encrypted`. */
  readonly encryption?: EncryptionInfo;
  readonly parts: Readonly<Record<PartName, PartInfo>>;
  /** A fleet snapshot: the leader that took it and its term's fencing token (backup/fence). */
  readonly fleet?: { readonly node: string; readonly token: number; readonly config?: 'fleet' };
  /** sha256 (hex) of the JSON of every other field, so any edit of the manifest is detected. */
  readonly checksum: string;
}

const ID_RE = /^\d{8}T\d{9}Z-[0-9a-f]{4}$/;

/** A snapshot id for the instant `ms` (epoch ms) with a 4-hex-digit suffix. */
export function makeId(ms: number, suffix: string): string {
  return `${new Date(ms).toISOString().replace(/[-:.]/g, '')}-${suffix}`;
}

/** The instant a snapshot id names, or undefined when `name` is not a snapshot id. */
export function idTime(name: string): Date | undefined {
  if (!ID_RE.test(name)) return undefined;
  const s = name; // 20261128T100000123Z-a1b2
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
  const t = Date.parse(iso);
  // Date.parse rolls 2026-02-30 over into March; an id must name the very instant it spells.
  return Number.isNaN(t) || makeId(t, s.slice(-4)) !== s ? undefined : new Date(t);
}

/** Order for arrays of things with an `id`: newest first (ids sort by time). */
export function newestFirst(a: { readonly id: string }, b: { readonly id: string }): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A digest shortened for messages: `a1b2c3d4e5f6…`. */
export function shortHash(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 exactly (a BOM is kept); undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(data: Buffer): string | undefined {
  try {
    return strictUtf8.decode(data);
  } catch {
    return undefined;
  }
}
