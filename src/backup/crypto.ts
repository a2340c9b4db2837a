/**
 * @module backup/crypto
 * Optional encryption of snapshot parts: AES-256-GCM with a 32-byte key derived by scrypt
 * from the caller's key string and a random per-snapshot salt (kept in the manifest).
 * Each part is stored as iv (12 random bytes) | GCM tag (16) | ciphertext, and is
 * authenticated together with "<snapshot id>/<part>", so parts cannot be swapped between
 * snapshots or with each other unnoticed.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { isCount, isRecord, type EncryptionInfo, type PartName } from './format.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 16;
/** scrypt cost for new snapshots: 32 MiB and ~0.1 s per derivation. */
const COST = { N: 1 << 15, r: 8, p: 1 } as const;
/** Upper bounds accepted from a manifest, so a crafted one cannot make us allocate gigabytes. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** Fresh encryption parameters (new salt) and the key derived with them. */
export async function newEncryption(key: string): Promise<{ info: EncryptionInfo; key: Buffer }> {
  const info: EncryptionInfo = { cipher: 'aes-256-gcm', kdf: 'scrypt', salt: randomBytes(SALT_BYTES).toString('hex'), ...COST };
  return { info, key: await deriveKey(key, info) };
}

export function deriveKey(key: string, info: EncryptionInfo): Promise<Buffer> {
  const { N, r, p } = info;
  return new Promise((resolve, reject) => {
    scrypt(key, Buffer.from(info.salt, 'hex'), 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, derived) => {
      if (err) reject(err);
      else resolve(derived);
    });
  });
}

/** Whether `v` is an encryption description this version can use. */
export function isEncryptionInfo(v: unknown): v is EncryptionInfo {
  if (!isRecord(v) || v.cipher !== 'aes-256-gcm' || v.kdf !== 'scrypt') return false;
  if (typeof v.salt !== 'string' || !/^(?:[0-9a-f]{2}){16,64}$/.test(v.salt)) return false;
  const { N, r, p } = v;
  const powerOfTwo = isCount(N) && N >= 2 && N <= MAX_N && (N & (N - 1)) === 0;
  return powerOfTwo && isCount(r) && r >= 1 && r <= MAX_R && isCount(p) && p >= 1 && p <= MAX_P;
}

function aad(id: string, part: PartName): Buffer {
  return Buffer.from(`${id}/${part}`);
}

export function encryptPart(plain: Buffer, key: Buffer, id: string, part: PartName): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(id, part));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The plaintext, or undefined when authentication fails (wrong key or corrupted data). */
export function decryptPart(stored: Buffer, key: Buffer, id: string, part: PartName): Buffer | undefined {
  if (stored.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad(id, part));
  decipher.setAuthTag(stored.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(stored.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
