/**
 * @module runtime/fleet/config
 * The fleet config in Redis: the hash `PREFIX config` (version, text, node, at) and the
 * counter `PREFIX config:version`. A push INCRs the counter, writes the hash and publishes
 * the version on the channel `PREFIX config`, all in one script, so the hash always holds
 * the newest version and versions only grow. Nodes follow it with check(): on every
 * heartbeat (which also covers a late join and a reconnect) and on each message. What is
 * read is untrusted: a malformed hash is logged once per version and skipped. A Redis
 * restarted empty gets the newest entry back from the first node that finds the hash gone,
 * so that versions keep growing (the nodes would ignore a version they have passed).
 */
import type pino from 'pino';
import { MAX_CONFIG_BYTES } from '../../config/index.js';
import type { RedisClient } from './link.js';

/** A stored fleet config. */
export interface FleetConfigEntry {
  readonly version: number;
  readonly text: string;
  /** The node it was pushed on, and when (ms since the epoch, that node's clock). */
  readonly node: string;
  readonly at: number;
}

/** ARGV[4]: the newest version the pushing node knows; the new one is above it (a counter lost with an emptied Redis). */
const PUSH = `local v = redis.call('INCR', KEYS[1])
if v <= tonumber(ARGV[4]) then
  v = tonumber(ARGV[4]) + 1
  redis.call('SET', KEYS[1], v)
end
redis.call('HSET', KEYS[2], 'version', v, 'text', ARGV[1], 'node', ARGV[2], 'at', ARGV[3])
redis.call('PUBLISH', KEYS[2], v)
return v`;
/** Writes a node's entry back into an emptied Redis (no hash): the counter goes on from its version. */
const RESTORE = `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'text', ARGV[2], 'node', ARGV[3], 'at', ARGV[4])
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

/** The channel a push publishes its version on (the hash's own name). */
export const configChannel = (prefix: string): string => `${prefix}config`;

/** The entry in a hash read from Redis, or why it is not one. */
export function entryOf(hash: Record<string, string>): FleetConfigEntry | string {
  const version = Number(hash['version']);
  const at = Number(hash['at']);
  const { text, node } = hash;
  if (!Number.isSafeInteger(version) || version < 1) return `version ${JSON.stringify(hash['version'] ?? null)} is not a positive integer`;
  if (typeof text !== 'string') return 'it has no text';
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) return `its text is over ${MAX_CONFIG_BYTES} bytes`;
  return { version, text, node: node ?? '', at: Number.isFinite(at) ? at : 0 };
}

export class FleetConfigSync {
  readonly #key: string;
  #current: FleetConfigEntry | undefined;
  /** The last version found malformed (logged once, not once a beat). */
  #badVersion: string | undefined;
  #checking: Promise<void> | undefined;
  /** A check was asked for while one ran: it may have read before the news, so run once more. */
  #again = false;

  /**
   * `client` is the link's client while it is ready (else undefined: nothing is tried).
   * `onNew` is told each newer entry found, in version order, once.
   */
  constructor(
    prefix: string,
    private readonly client: () => RedisClient | undefined,
    private readonly logger: pino.Logger,
    private readonly onNew: (entry: FleetConfigEntry) => void,
  ) {
    this.#key = configChannel(prefix);
  }

  /** The newest entry read (undefined until one is found). */
  get current(): FleetConfigEntry | undefined {
    return this.#current;
  }

  /** Stores `text` as the next version and publishes it; rejects while Redis is unreachable. */
  async push(text: string, node: string, at: number): Promise<number> {
    const client = this.client();
    if (client === undefined) throw new Error('Redis is unreachable');
    const known = String(this.#current?.version ?? 0);
    return Number(await client.eval(PUSH, { keys: [`${this.#key}:version`, this.#key], arguments: [text, node, String(at), known] }));
  }

  /** Reads the stored version, and the whole entry when it is newer than the current one. Never rejects. */
  check(): Promise<void> {
    // One check at a time; one asked for meanwhile (a message during a beat's check) runs after it.
    if (this.#checking !== undefined) {
      this.#again = true;
      return this.#checking;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        await this.#check();
      } while (this.#again);
    };
    this.#checking = run().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    const client = this.client();
    if (client === undefined) return;
    try {
      const stored = await client.hGet(this.#key, 'version');
      if ((stored === null || stored === undefined) && this.#current !== undefined) return await this.#restore(client, this.#current);
      if (stored === null || stored === undefined || stored === this.#badVersion || Number(stored) <= (this.#current?.version ?? 0)) return;
      const hash = await client.hGetAll(this.#key);
      const entry = entryOf(hash);
      if (typeof entry === 'string') {
        this.#badVersion = stored;
        this.logger.warn({ event: 'fleet_config_malformed', key: this.#key, reason: entry }, `fleet: the config stored at ${this.#key} is malformed (${entry}); skipped`);
        return;
      }
      if (entry.version <= (this.#current?.version ?? 0)) return;
      this.#current = entry;
      this.onNew(entry);
    } catch (err) {
      this.logger.debug({ event: 'fleet_config_read_failed', error: String(err) }, `fleet: reading the fleet config failed: ${String(err)}`);
    }
  }

  async #restore(client: RedisClient, e: FleetConfigEntry): Promise<void> {
    const args = [String(e.version), e.text, e.node, String(e.at)];
    if (Number(await client.eval(RESTORE, { keys: [`${this.#key}:version`, this.#key], arguments: args })) === 1) {
      this.logger.info({ event: 'fleet_config_restored', version: e.version }, `fleet: Redis had lost the fleet config: wrote version ${e.version} back`);
    }
  }
}
