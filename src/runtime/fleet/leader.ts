/**
 * @module runtime/fleet/leader
 * The fleet's leader lease, for work that must run once (the fleet backup snapshot).
 *
 * The lease is one key, `PREFIX leader`, holding "TOKEN NODE". A node takes it with
 * SET NX PX (inside one script that also INCRs `PREFIX leader:token`, so every term has a
 * fencing token higher than any before it); only the holder renews it (compare-and-renew:
 * PEXPIRE only while the value is still its own) and, when it stops cleanly, deletes it
 * (compare-and-delete). A holder that cannot renew, because Redis is down or the key is
 * gone, stops calling itself leader once its lease could have run out, by its own clock,
 * counted from when the last successful renewal was SENT.
 *
 * This is a lease, not a lock: a holder paused longer than the lease (GC, SIGSTOP, a slow
 * disk) wakes up still believing it leads. That is why every leader write carries the token,
 * and the storage refuses a token lower than one it has already committed (backup/store).
 * Callers of current() must pass its token on to the storage; the lease alone fences nothing.
 */
import type pino from 'pino';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { RedisClient } from './link.js';

/** How long a lease lasts without renewal: a dead leader is replaced within about this. */
export const LEASE_MS = 5000;
/** How often the holder renews and the others try to take it. */
export const LEASE_TICK_MS = 1000;

/**
 * SET NX PX, and only when it was set: INCR the token and store it with the holder's name.
 * The token never falls below ARGV[3], the taker's clock in ms: a Redis restarted empty (or
 * a fresh one for a restored fleet) starts its counter again, and without that floor its
 * leaders' tokens would be lower than those the backup storage already holds, and every
 * snapshot refused. (The floor assumes the nodes' clocks are in sync, as heartbeats do.)
 */
const ACQUIRE = `if redis.call('SET', KEYS[1], 'taking', 'NX', 'PX', ARGV[2]) then
  local t = redis.call('INCR', KEYS[2])
  local floor = tonumber(ARGV[3])
  if t < floor then
    t = floor
    redis.call('SET', KEYS[2], t)
  end
  redis.call('SET', KEYS[1], string.format('%d', t) .. ' ' .. ARGV[1], 'PX', ARGV[2])
  return t
end
return 0`;
/** PEXPIRE (renew) or DEL (release) only while the key still holds our exact value. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** One term of leadership: the node and its fencing token. */
export interface Term {
  readonly node: string;
  readonly token: number;
}

/** "TOKEN NODE" as stored; undefined for anything else (untrusted: another writer may have put it there). */
export function parseLease(value: string | null): Term | undefined | null {
  if (value === null) return null;
  const m = /^([1-9]\d{0,15}) (\S+)$/.exec(value);
  if (m === null || !Number.isSafeInteger(Number(m[1]))) return undefined;
  return { token: Number(m[1]), node: m[2]! };
}

export interface LeaseDeps {
  readonly client: () => RedisClient | undefined;
  readonly clock: Clock;
  readonly logger: pino.Logger;
}

export class LeaderLease {
  /** Our term while we hold it, and until when (our clock) we may act on it. */
  #mine: { term: Term; until: number } | undefined;
  /** The last leader read from Redis (ours included); null: none. */
  #seen: Term | null = null;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #badValueLogged = false;

  constructor(
    private readonly prefix: string,
    private readonly node: string,
    private readonly deps: LeaseDeps,
    private readonly leaseMs = LEASE_MS,
  ) {}

  get #key(): string {
    return `${this.prefix}leader`;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Stops ticking and gives the lease up at once if we hold it (best effort: it expires anyway). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.deps.clock.clearTimeout(this.#timer);
    const mine = this.#mine;
    this.#mine = undefined;
    const client = this.deps.client();
    if (mine === undefined || client === undefined) return;
    const released = await client.eval(RELEASE, { keys: [this.#key], arguments: [value(mine.term)] }).catch(() => 0);
    if (Number(released) === 1) this.deps.logger.info({ event: 'fleet_leader_released', node: this.node, token: mine.term.token }, `fleet: gave up the leader lease (term ${mine.term.token})`);
  }

  /** Our term, while we lead and the lease cannot have run out; undefined otherwise. */
  current(): Term | undefined {
    const mine = this.#mine;
    return mine !== undefined && this.deps.clock.now() < mine.until ? mine.term : undefined;
  }

  /** The leader as last seen (ourselves when we lead); null when there is none or it is unknown. */
  leader(): Term | null {
    return this.current() ?? (this.#mine === undefined ? this.#seen : null);
  }

  #schedule(ms: number): void {
    if (!this.#stopped) this.#timer = this.deps.clock.setTimeout(() => void this.tick().finally(() => this.#schedule(LEASE_TICK_MS)), ms);
  }

  /** One round: renew when we hold it, else try to take it. Errors only skip the round. */
  async tick(): Promise<void> {
    const client = this.deps.client();
    if (client === undefined) return this.#expireIfDue();
    const sent = this.deps.clock.now();
    try {
      if (this.#mine !== undefined) await this.#renew(client, sent);
      else await this.#acquire(client, sent);
      if (this.#mine === undefined) this.#seen = this.#read(await client.get(this.#key));
    } catch (err) {
      this.#expireIfDue();
      this.deps.logger.debug({ event: 'fleet_lease_failed', error: String(err) }, `fleet: leader lease round failed: ${String(err)}`);
    }
  }

  async #acquire(client: RedisClient, sent: number): Promise<void> {
    const token = Number(await client.eval(ACQUIRE, { keys: [this.#key, `${this.#key}:token`], arguments: [this.node, String(this.leaseMs), String(Math.floor(sent))] }));
    if (!Number.isSafeInteger(token) || token <= 0) return;
    this.#mine = { term: { node: this.node, token }, until: sent + this.leaseMs };
    this.#seen = this.#mine.term;
    this.deps.logger.info({ event: 'fleet_leader_elected', node: this.node, token }, `fleet: this node (${this.node}) is the leader, term ${token}`);
  }

  async #renew(client: RedisClient, sent: number): Promise<void> {
    const mine = this.#mine!;
    const renewed = Number(await client.eval(RENEW, { keys: [this.#key], arguments: [value(mine.term), String(this.leaseMs)] }));
    if (this.#mine !== mine) return; // stopped meanwhile
    if (renewed === 1) {
      this.#mine = { term: mine.term, until: sent + this.leaseMs };
      return;
    }
    this.#lose(mine.term, 'the lease is held by another node or expired');
  }

  #expireIfDue(): void {
    const mine = this.#mine;
    if (mine !== undefined && this.deps.clock.now() >= mine.until) this.#lose(mine.term, 'the lease could not be renewed in time');
  }

  #lose(term: Term, why: string): void {
    this.#mine = undefined;
    this.#seen = null;
    this.deps.logger.warn({ event: 'fleet_leader_lost', node: this.node, token: term.token }, `fleet: this node is no longer the leader (term ${term.token}): ${why}`);
  }

  #read(raw: string | null): Term | null {
    const term = parseLease(raw);
    if (term !== undefined) return term;
    // 'taking' is the acquire script's own placeholder, never visible outside it; anything else is foreign.
    if (!this.#badValueLogged) this.deps.logger.warn({ event: 'fleet_lease_malformed', value: String(raw).slice(0, 80) }, `fleet: ${this.#key} holds a malformed value; ignored`);
    this.#badValueLogged = true;
    return null;
  }
}

function value(term: Term): string {
  return `${term.token} ${term.node}`;
}
