/**
 * @module runtime/fleet/snapshot
 * What the leader hands the backup agent for a fleet snapshot (GET /fleet/snapshot): every
 * shared sticky pin in Redis (`PREFIX sticky:UPSTREAM:KEY`, value the server, ttl the pin's
 * remaining life; see runtime/fleet/sticky), with the term's fencing token, which the agent
 * passes to the backup storage (backup/fence). A node that does not lead answers 409.
 *
 * Pins are read with SCAN (never KEYS: Redis stays responsive) and GET + PTTL in batches.
 * A pin is untrusted input: one whose key, value or ttl does not make a valid entry is
 * counted as skipped and left out, never a failure of the snapshot.
 */
import { MultiErrorReply } from 'redis';
import { encodeNdjson, entryProblem, type StickyEntry } from '../../balancer/sticky/index.js';
import type { ActionResult } from '../../admin/actions.js';
import type { Term } from './leader.js';
import type { RedisClient } from './link.js';

const BATCH = 1000;

export interface PinScan {
  readonly sessions: StickyEntry[];
  /** Keys under the prefix that did not hold a valid pin (or expired while read). */
  readonly skipped: number;
}

/** Every pin under `PREFIX sticky:`; `now` is the epoch ms the ttls count from. */
export async function scanPins(client: RedisClient, prefix: string, now: number): Promise<PinScan> {
  const head = `${prefix}sticky:`;
  const sessions: StickyEntry[] = [];
  let skipped = 0;
  let cursor = '0';
  do {
    const r = await client.scan(cursor, { MATCH: `${globEscape(head)}*`, COUNT: BATCH });
    cursor = String(r.cursor);
    if (r.keys.length === 0) continue;
    const multi = client.multi();
    for (const k of r.keys) multi.get(k).pTTL(k);
    // A key holding no string (a hash, a list: anything may write into Redis) answers GET with
    // WRONGTYPE, and exec() rejects for it: take every reply anyway, its error one skipped below.
    const replies = (await multi.exec().catch((err: unknown) => (err instanceof MultiErrorReply ? err.replies : Promise.reject(err)))) as unknown[];
    r.keys.forEach((k, i) => {
      const entry = pinEntry(k.slice(head.length), replies[2 * i], replies[2 * i + 1], now);
      if (entry === undefined) skipped++;
      else sessions.push(entry);
    });
  } while (cursor !== '0');
  return { sessions, skipped };
}

/** `UPSTREAM:KEY` (upstream names hold no ':'), the server, the remaining ttl: an entry, or undefined. */
function pinEntry(rest: string, server: unknown, ttl: unknown, now: number): StickyEntry | undefined {
  const colon = rest.indexOf(':');
  if (colon <= 0 || typeof server !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
  const entry = { upstream: rest.slice(0, colon), key: rest.slice(colon + 1), server, expires_at: now + ttl };
  return entryProblem(entry) === undefined ? entry : undefined;
}

/**
 * Writes restored pins into Redis (SET PX, each pin's remaining life), so that every node of
 * the fleet reads them, not only the one the restore imported them into; expired ones are
 * skipped. Where Redis already holds a key, the restored pin replaces it. Returns how many
 * were written.
 */
export async function writePins(client: RedisClient, prefix: string, entries: readonly StickyEntry[], now: number): Promise<number> {
  let written = 0;
  for (let i = 0; i < entries.length; i += BATCH) {
    const multi = client.multi();
    for (const e of entries.slice(i, i + BATCH)) {
      if (e.expires_at <= now) continue;
      multi.set(`${prefix}sticky:${e.upstream}:${e.key}`, e.server, { expiration: { type: 'PX', value: e.expires_at - now } });
      written++;
    }
    await multi.exec();
  }
  return written;
}

/** The prefix as a SCAN MATCH pattern that matches it literally. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The fleet config the fleet runs (runtime/fleet/config), when one was pushed. */
export interface SharedConfig {
  readonly version: number;
  readonly text: string;
}

/** The GET /fleet/snapshot answer: 409 unless `term` (this node's, while it leads) is set. */
export async function leaderSnapshot(term: Term | undefined, leader: string | null, read: () => Promise<PinScan>, config?: SharedConfig): Promise<ActionResult> {
  if (term === undefined) {
    const who = leader === null ? 'no node leads right now' : `${leader} does`;
    return { ok: false, status: 409, error: `this node is not the fleet's leader (${who}): fleet snapshots are taken by the leader only` };
  }
  const scan = await read();
  const shared = config === undefined ? null : { version: config.version, text: config.text };
  return { ok: true, body: { node: term.node, token: term.token, skipped: scan.skipped, config: shared, sessions: encodeNdjson(scan.sessions) } };
}
