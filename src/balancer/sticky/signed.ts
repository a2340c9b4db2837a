/**
 * @module balancer/sticky/signed
 * Signed session cookies for `sticky: { mode: cookie }` in a fleet (issue 17): the cookie
 * itself says which server the session is pinned to, so any node holding the key routes it
 * with no shared table. The value is `ID.SERVER.MAC`, each base64url:
 * - ID: 16 random bytes, the session's own id (two sessions never share a cookie value);
 * - SERVER: the first 12 bytes of HMAC-SHA256(key, upstream and server name), opaque: it
 *   reveals neither the server's name nor its address, only that two cookies share a server;
 * - MAC: the first 16 bytes of HMAC-SHA256(key, upstream, ID and SERVER), compared in
 *   constant time, so a client can neither invent a cookie nor move one to another server
 *   or upstream.
 * The caller must pass a key of at least MIN_COOKIE_KEY_LENGTH bytes, shared by every node.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { newSessionId } from './cookie.js';

export const MIN_COOKIE_KEY_LENGTH = 32;
const SERVER_BYTES = 12;
const MAC_BYTES = 16;
/** Lengths of the three parts in base64url (16, 12 and 16 bytes, unpadded). */
const PARTS = [22, 16, 22] as const;

export class CookieSigner {
  readonly #key: Buffer;
  readonly #upstream: string;
  readonly #names: () => readonly string[];
  /** SERVER token → server name, rebuilt when the upstream's server names change. */
  #byToken = new Map<string, string>();
  #tokens = new Map<string, string>();
  #namesSeen = '';

  /** `names`: the upstream's server names now (read on each use; cheap when unchanged). */
  constructor(key: Buffer, upstream: string, names: () => readonly string[]) {
    if (key.length < MIN_COOKIE_KEY_LENGTH) throw new Error(`the cookie key must be at least ${MIN_COOKIE_KEY_LENGTH} bytes`);
    this.#key = key;
    this.#upstream = upstream;
    this.#names = names;
  }

  /** A fresh cookie value pinning a new session to `server`. */
  mint(server: string): string {
    this.#refresh();
    const token = this.#tokens.get(server) ?? this.#token(server);
    const id = newSessionId();
    return `${id}.${token}.${this.#mac(id, token)}`;
  }

  /**
   * The server a cookie value pins to, when its MAC verifies and it names a server of the
   * upstream now; undefined otherwise (malformed, forged, another key's, or its server gone).
   */
  read(value: string): string | undefined {
    if (!this.signed(value)) return undefined;
    this.#refresh();
    return this.#byToken.get(value.split('.')[1]!);
  }

  /** Whether `value` was signed with this key for this upstream, whatever server it names now. */
  signed(value: string): boolean {
    const parts = value.split('.');
    if (parts.length !== 3 || parts.some((p, i) => p.length !== PARTS[i])) return false;
    // The text, not the decoded bytes: base64url's last character carries unused bits, and a
    // cookie differing only in them must not pass for the one that was signed.
    const given = Buffer.from(parts[2]!, 'latin1');
    const want = Buffer.from(this.#mac(parts[0]!, parts[1]!), 'latin1');
    return given.length === want.length && timingSafeEqual(given, want);
  }

  #refresh(): void {
    const names = this.#names();
    const seen = names.join('\n');
    if (seen === this.#namesSeen) return;
    this.#namesSeen = seen;
    this.#tokens = new Map(names.map((n) => [n, this.#token(n)]));
    this.#byToken = new Map(names.map((n) => [this.#tokens.get(n)!, n]));
  }

  #token(server: string): string {
    return this.#hmac(`server\0${this.#upstream}\0${server}`).subarray(0, SERVER_BYTES).toString('base64url');
  }

  #mac(id: string, token: string): string {
    return this.#hmac(`cookie\0${this.#upstream}\0${id}.${token}`).subarray(0, MAC_BYTES).toString('base64url');
  }

  #hmac(data: string): Buffer {
    return createHmac('sha256', this.#key).update(data).digest();
  }
}
