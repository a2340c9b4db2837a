/**
 * @module backup/manifest
 * Writing and checking `manifest.json`. The manifest carries its own checksum (sha256 of the
 * JSON of every other field, in file order), so a flipped byte anywhere in it is detected
 * even where the JSON still parses. Every problem is reported as one line naming the file.
 */
import { isEncryptionInfo } from './crypto.js';
import {
  idTime,
  isCount,
  isRecord,
  MANIFEST_FILE,
  MAX_READABLE_VERSION,
  MIN_READABLE_VERSION,
  PART_NAMES,
  partFile,
  sha256Hex,
  type Manifest,
} from './format.js';

const M = MANIFEST_FILE;

export interface ManifestCheck {
  readonly manifest?: Manifest;
  readonly problems: string[];
  /**
   * True when the manifest itself is bad (missing, not JSON, edited). False for problems that
   * do not mean damage, like a format version this bulwark does not read.
   */
  readonly damaged: boolean;
}

function bodyChecksum(body: object): string {
  return sha256Hex(JSON.stringify(body));
}

/** Adds the checksum to a manifest body. */
export function sealManifest(body: Omit<Manifest, 'checksum'>): Manifest {
  return { ...body, checksum: bodyChecksum(body) };
}

export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Parses and checks the text of `<folderId>/manifest.json`. */
export function parseManifest(text: string, folderId: string): ManifestCheck {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problems: [`${M}: truncated or not JSON`], damaged: true };
  }
  if (!isRecord(v)) return { problems: [`${M}: not a JSON object`], damaged: true };
  const fv = v.format_version;
  const range = `(${MIN_READABLE_VERSION}..${MAX_READABLE_VERSION})`;
  if (!isCount(fv)) return { problems: [`${M}: format_version is missing or not a whole number`], damaged: true };
  if (fv > MAX_READABLE_VERSION) return { problems: [`${M}: format_version ${fv} is newer than this bulwark reads ${range}`], damaged: false };
  if (fv < MIN_READABLE_VERSION) return { problems: [`${M}: format_version ${fv} is older than this bulwark reads ${range}`], damaged: false };

  const problems = shapeProblems(v);
  const { checksum, ...body } = v;
  if (typeof checksum === 'string' && checksum !== bodyChecksum(body)) {
    problems.unshift(`${M}: checksum mismatch: the manifest was edited or corrupted`);
  }
  if (problems.length === 0 && v.id !== folderId) problems.push(`${M}: id ${String(v.id)} does not match its folder ${folderId}`);
  return problems.length === 0 ? { manifest: v as unknown as Manifest, problems, damaged: false } : { problems, damaged: true };
}

function shapeProblems(v: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, rule: string): void => {
    if (!ok) problems.push(`${M}: ${rule}`);
  };
  need(typeof v.id === 'string' && idTime(v.id) !== undefined, 'id must be a snapshot id like 20261128T100000123Z-a1b2');
  need(typeof v.created_at === 'string' && !Number.isNaN(Date.parse(v.created_at)), 'created_at must be an ISO 8601 time');
  need(isCount(v.config_version), 'config_version must be a whole number');
  need(isCount(v.session_count), 'session_count must be a whole number');
  need(typeof v.encrypted === 'boolean', 'encrypted must be true or false');
  const encrypted = v.encrypted === true;
  if (encrypted) need(isEncryptionInfo(v.encryption), 'encryption must describe aes-256-gcm with scrypt (salt, N, r, p)');
  else need(v.encryption === undefined, 'encryption must be absent when encrypted is false');
  for (const part of PART_NAMES) {
    const p = isRecord(v.parts) ? v.parts[part] : undefined;
    const file = partFile(part, encrypted);
    const ok = isRecord(p) && p.file === file && isCount(p.bytes) && typeof p.sha256 === 'string' && /^[0-9a-f]{64}$/.test(p.sha256);
    need(ok, `parts.${part} must be { file: "${file}", bytes, sha256 }`);
  }
  if (v.fleet !== undefined) {
    const f = v.fleet;
    need(isRecord(f) && typeof f.node === 'string' && f.node.length > 0 && Number.isSafeInteger(f.token) && (f.token as number) >= 1, 'fleet must be { node, token } (token a whole number from 1)');
    need(!isRecord(f) || f.config === undefined || f.config === 'fleet', 'fleet.config must be "fleet" when present');
  }
  need(typeof v.checksum === 'string', 'checksum is missing');
  return problems;
}
