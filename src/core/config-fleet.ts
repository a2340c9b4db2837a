/**
 * @module core/config-fleet
 * The `fleet:` block (issue 17): several bulwark nodes sharing state through Redis.
 * What a node shares there, and how, is runtime/fleet's (heartbeats, sticky tables, overrides,
 * the pushed config, the leader lease).
 */

/** How to reach Redis; `redis: URL` is the short form of `{ url }`. */
export interface FleetRedis {
  /** redis:// or rediss:// (TLS), with an optional /DB number. */
  readonly url: string;
  /** Names of environment variables holding the ACL user name and password (never the secrets in the file). */
  readonly username_env: string | undefined;
  readonly password_env: string | undefined;
  /** TLS to Redis; true when the URL is rediss://. */
  readonly tls: boolean;
}

export interface FleetConfig {
  readonly redis: FleetRedis;
  /** This node's name in the fleet; default the machine's hostname. */
  readonly node: string;
  /** Namespace of every key bulwark writes, so that fleets can share one Redis. */
  readonly prefix: string;
  /** The longest (ms) a request waits on Redis (a sticky read on a local miss); past it, local state decides. */
  readonly timeout: number;
  /**
   * Name of the environment variable holding the key that signs `sticky: { mode: cookie }`
   * cookies, so that any node routes them with no shared table; undefined: cookie-mode pins
   * are shared through Redis like the other modes'.
   */
  readonly cookie_key_env: string | undefined;
}
