/**
 * @module balancer/consistent-hash/ring
 * A ketama-style hash ring: every server owns `round(160 * weight)` virtual nodes (points on
 * a 32-bit circle) and a key belongs to the first point at or after its hash, wrapping
 * around. Because each server's points depend only on its own id, removing a server moves
 * only the keys it owned, and adding one takes over only the keys that now land on its
 * points (about 1/N of them). Lookups are a binary search over a sorted Uint32Array.
 *
 * Caller guarantees: the ring is immutable; build a new one when membership or a weight
 * changes (the scheduler does, keyed by the identity of the servers array). Server ids are
 * unique within the array (they are: "upstream/name").
 */
import type { Server } from '../../core/server.js';

/** Virtual nodes per unit of weight, as ketama (160 points per server). */
export const VNODES_PER_WEIGHT = 160;

/** FNV-1a over the string's UTF-16 code units (for ASCII: the standard 32-bit FNV-1a). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: full avalanche, so near-identical keys land far apart. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The ring's hash: fast, non-cryptographic, uint32. Not for anything security-sensitive. */
export function hash32(s: string): number {
  return fmix32(fnv1a32(s));
}

export class HashRing {
  /** Point hashes, ascending. */
  readonly #points: Uint32Array;
  /** #owners[i] owns #points[i]. */
  readonly #owners: readonly Server[];

  constructor(servers: readonly Server[], vnodesPerWeight = VNODES_PER_WEIGHT) {
    const hashes: number[] = [];
    const owner: number[] = [];
    servers.forEach((s, idx) => {
      const count = s.weight > 0 ? Math.max(1, Math.round(vnodesPerWeight * s.weight)) : 0;
      for (let v = 0; v < count; v++) {
        hashes.push(hash32(`${s.id}-${v}`));
        owner.push(idx);
      }
    });
    // Sort point indices by hash; colliding points are ordered by server position so the
    // result is deterministic.
    const order = hashes.map((_, i) => i);
    order.sort((a, b) => hashes[a]! - hashes[b]! || owner[a]! - owner[b]!);
    this.#points = Uint32Array.from(order, (i) => hashes[i]!);
    this.#owners = order.map((i) => servers[owner[i]!]!);
  }

  /** Number of virtual nodes on the ring. */
  get size(): number {
    return this.#points.length;
  }

  /** The owner of the first point at or after `hash` (wrapping); undefined if the ring is empty. */
  lookup(hash: number): Server | undefined {
    const points = this.#points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.#owners[lo === points.length ? 0 : lo];
  }
}
