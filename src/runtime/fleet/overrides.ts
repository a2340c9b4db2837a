/**
 * @module runtime/fleet/overrides
 * Fleet-wide runtime overrides (drain, disable, enable, weight). An override made on any
 * node's admin API is applied there at once, then written to the hash `PREFIX overrides`
 * and published on `PREFIX overrides` by one script (so only a winning write is published).
 * Every other node applies what it receives; a node never republishes what it received.
 * A node that (re)connects first writes what it made while cut off, then reads the hash.
 *
 * Conflicts: each server has two independent fields, its state (drain/disable/enable) and its
 * weight; per field the last writer wins, by (wall-clock ms, node name), compared in Redis
 * by the script and on each node. A node stamps a change later than anything it has seen
 * for that field, so an operator's newest action on one node always supersedes it there.
 */
import type pino from 'pino';
import type { ActionResult, ServerAction } from '../../admin/actions.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { FleetConfig } from '../../core/config-fleet.js';
import type { Fleet } from './index.js';
import type { RedisClient } from './link.js';

export type OverrideField = 'state' | 'weight';

/** One field's override as stored, published and compared. */
export interface OverrideRecord {
  readonly upstream: string;
  readonly server: string;
  readonly field: OverrideField;
  /** A weight of 'config': the override ended, the configured weight again. */
  readonly value: ServerAction | number | 'config';
  /** Wall-clock ms of the change, then the node that made it: the last writer wins. */
  readonly at: number;
  readonly node: string;
}

/** Applies an override to this node's servers (runtime/overrides overrideActions), not re-announcing it. */
export interface OverrideTarget {
  server(upstream: string, server: string, action: ServerAction): ActionResult;
  weight(upstream: string, server: string, weight: unknown): ActionResult;
  resetWeight(upstream: string, server: string): ActionResult;
}

export interface OverridesDeps {
  readonly node: string;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  /** The link's client while it answers, else undefined. */
  readonly client: () => RedisClient | undefined;
  readonly hash: string;
  readonly channel: string;
}

/** Writes ARGV[2] into field ARGV[1] and publishes it, unless the stored one is as new or newer: then returns that one. */
const WRITE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and type(c.at) == 'number' and type(c.node) == 'string' then
    local at = tonumber(ARGV[3])
    if c.at > at or (c.at == at and c.node >= ARGV[4]) then return cur end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1`;

const RETRY_MS = 1000;
const fieldKey = (r: Pick<OverrideRecord, 'upstream' | 'server' | 'field'>): string => JSON.stringify([r.upstream, r.server, r.field]);
const newer = (a: OverrideRecord, b: OverrideRecord | undefined): boolean => b === undefined || a.at > b.at || (a.at === b.at && a.node > b.node);

/** A record read from Redis (untrusted): the record, or why it is not one. */
export function parseRecord(text: string): OverrideRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  for (const k of ['upstream', 'server', 'node'] as const) if (typeof r[k] !== 'string' || r[k] === '') return `${k} must be a non-empty string`;
  if (typeof r['at'] !== 'number' || !Number.isSafeInteger(r['at']) || r['at'] < 0) return 'at must be a non-negative integer (ms)';
  if (r['field'] === 'state') {
    if (r['value'] !== 'drain' && r['value'] !== 'disable' && r['value'] !== 'enable') return 'a state value must be drain, disable or enable';
  } else if (r['field'] === 'weight') {
    const w = r['value'];
    if (w !== 'config' && (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 1000)) return 'a weight value must be an integer from 1 to 1000 or "config"';
  } else return 'field must be state or weight';
  return r as unknown as OverrideRecord;
}

export class FleetOverrides {
  /** The newest record this node has applied or made, per field. */
  readonly #seen = new Map<string, OverrideRecord>();
  /** Made here and not yet in Redis (an outage, a failed write). */
  readonly #pending = new Map<string, OverrideRecord>();
  #flushing: Promise<void> | undefined;
  #retry: TimerHandle | undefined;
  #stopped = false;

  constructor(private readonly target: OverrideTarget, private readonly deps: OverridesDeps) {}

  /** A config change ended an override here: it ends on every node (enable; the configured weight). */
  ended(upstream: string, server: string, ended: { state?: unknown; weight?: unknown }): void {
    if (ended.state !== undefined) this.local(upstream, server, { state: 'enable' });
    if (ended.weight !== undefined) this.local(upstream, server, { weight: 'config' });
  }

  /** Made on this node's admin API and already applied here: stamp it and announce it. */
  local(upstream: string, server: string, change: { state: ServerAction } | { weight: number | 'config' }): void {
    const [field, value] = 'state' in change ? (['state', change.state] as const) : (['weight', change.weight] as const);
    const key = fieldKey({ upstream, server, field });
    const at = Math.max(this.deps.clock.now(), (this.#seen.get(key)?.at ?? -1) + 1);
    const record: OverrideRecord = { upstream, server, field, value, at, node: this.deps.node };
    this.#seen.set(key, record);
    this.#pending.set(key, record);
    void this.flush();
  }

  /** A published record (untrusted); our own come back too and are skipped. */
  received(message: string): void {
    this.#take(message, 'message');
  }

  /**
   * On (re)connection: write what was made while cut off, then apply what the hash holds
   * newer than ours, then write back what we hold newer than the hash (a Redis that lost
   * its data, restarted empty, gets the fleet's overrides again from the nodes' memory).
   */
  async resync(): Promise<void> {
    await this.flush();
    const client = this.deps.client();
    if (client === undefined) return;
    try {
      const all = await client.hGetAll(this.deps.hash);
      for (const text of Object.values(all)) this.#take(text, 'hash');
      const stored = new Map(Object.entries(all).map(([key, text]) => [key, parseRecord(text)]));
      for (const [key, record] of this.#seen) {
        const s = stored.get(key);
        if (newer(record, typeof s === 'string' ? undefined : s)) this.#pending.set(key, record);
      }
      const written = this.#pending.size;
      await this.flush();
      this.deps.logger.info({ event: 'fleet_overrides_resynced', read: stored.size, written }, `fleet: overrides resynced (${stored.size} read, ${written} written back)`);
    } catch (err) {
      this.deps.logger.warn({ event: 'fleet_overrides_read_failed', error: String(err) }, `fleet: could not read the overrides from Redis: ${String(err)}`);
    }
  }

  /** Writes the pending records; one at a time, a failure retried in RETRY_MS while Redis answers. */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  get pending(): number {
    return this.#pending.size;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry !== undefined) this.deps.clock.clearTimeout(this.#retry);
  }

  async #write(): Promise<void> {
    for (const [key, record] of this.#pending) {
      const client = this.deps.client();
      if (client === undefined) return;
      try {
        const text = JSON.stringify(record);
        const winner = await client.eval(WRITE, { keys: [this.deps.hash, this.deps.channel], arguments: [key, text, String(record.at), record.node] });
        if (this.#pending.get(key) === record) this.#pending.delete(key);
        // Another node's newer change (made while this one was cut off) wins here too.
        if (typeof winner === 'string') this.#take(winner, 'hash');
      } catch (err) {
        this.deps.logger.debug({ event: 'fleet_override_write_failed', error: String(err) }, `fleet: override not written yet: ${String(err)}`);
        if (!this.#stopped && this.#retry === undefined) this.#retry = this.deps.clock.setTimeout(() => ((this.#retry = undefined), void this.flush()), RETRY_MS);
        return;
      }
    }
  }

  #take(text: string, source: 'message' | 'hash'): void {
    const record = parseRecord(text);
    if (typeof record === 'string') {
      this.deps.logger.warn({ event: 'fleet_override_invalid', source, reason: record }, `fleet: skipped a malformed override from Redis (${source}): ${record}`);
      return;
    }
    const key = fieldKey(record);
    if (!newer(record, this.#seen.get(key))) return;
    this.#seen.set(key, record);
    const { upstream, server, value } = record;
    const result =
      value === 'config' ? this.target.resetWeight(upstream, server) : typeof value === 'number' ? this.target.weight(upstream, server, value) : this.target.server(upstream, server, value);
    const outcome = result.ok ? 'applied' : `not applied here: ${result.error}`;
    this.deps.logger.info({ event: 'fleet_override_received', upstream, server, [record.field]: value, from: record.node, applied: result.ok }, `fleet: ${record.field} ${String(value)} of ${upstream}/${server} from ${record.node} ${outcome}`);
  }
}

/** Shares this node's overrides through the fleet: `PREFIX overrides` is both the hash and the channel. */
export function shareOverrides(fleet: Fleet, config: FleetConfig, target: OverrideTarget, clock: Clock, logger: pino.Logger): FleetOverrides {
  const { link } = fleet;
  const key = `${config.prefix}overrides`;
  const shared = new FleetOverrides(target, { node: config.node, clock, logger, client: () => (link.ready ? link.client : undefined), hash: key, channel: key });
  fleet.subscribe('overrides', (message) => shared.received(message));
  fleet.onConnected(() => void shared.resync());
  return shared;
}
