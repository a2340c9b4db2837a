/**
 * @module proxy/client-address
 * Who the client is. The connection's peer is the client unless it is a trusted proxy
 * (top-level `trusted_proxies`):
 * - the peer is the socket's remote address, or the source a PROXY protocol header named
 *   (set by proxy/proxy-accept.ts; IPv4-mapped IPv6 is written as plain IPv4);
 * - an untrusted peer's X-Forwarded-For is dropped and replaced by the peer's address:
 *   anyone can write that header, so it must not reach an origin as if bulwark vouched for it;
 * - a trusted peer's X-Forwarded-For is kept and the peer appended; the client is then the
 *   rightmost address in it that is not trusted (nginx's real_ip_recursive on), walking
 *   right to left. An entry that is not a plain IP address ends the walk: the last address
 *   walked stands (the peer itself when it is the first). Every entry trusted: the leftmost.
 * That client address is what rate_limit `key: ip`, sticky and hash `ip` keys, the access
 * log and `${client_ip}` see.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { plainAddress, type ProxySource } from './proxy-protocol.js';

/** The addresses and CIDR ranges of trusted_proxies. */
export class TrustedProxies {
  readonly #list = new BlockList();
  /** No proxy is trusted: every X-Forwarded-For is replaced, and nothing needs checking. */
  readonly empty: boolean;

  /** @param cidrs "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" (config/validate-trusted checked them). */
  constructor(cidrs: readonly string[]) {
    this.empty = cidrs.length === 0;
    for (const c of cidrs) {
      const [address, bits] = c.split('/') as [string, string | undefined];
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
    }
  }

  /** Whether `address` (any form Node reports) is trusted; false for anything not an IP. */
  has(address: string): boolean {
    if (this.empty) return false;
    const a = plainAddress(address);
    const v = isIP(a);
    return v !== 0 && this.#list.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }
}

const kSource = Symbol('bulwark.proxySource');
type Tagged = Socket & { [kSource]?: ProxySource };

/** Records the client a PROXY protocol header named for this connection. */
export function setProxySource(socket: Socket, source: ProxySource): void {
  (socket as Tagged)[kSource] = source;
}

const kRaw = Symbol('bulwark.rawSocket');
type Replay = Duplex & { [kRaw]?: Socket };

/** Marks `d` as the stream proxy-accept.ts replays `socket`'s bytes through (for a TLS listener). */
export function linkReplay(d: Duplex, socket: Socket): void {
  (d as Replay)[kRaw] = socket;
}

/**
 * The TCP socket under a client connection: itself, or for TLS its parent (Node's
 * `_parent`), or the socket behind a replay stream, which Node keeps as the TLS handle's
 * `_parentWrap.stream`, or an HTTP/2 session's JSStreamSocket as its `stream` (internal
 * fields, so read defensively).
 */
function rawSocket(socket: Socket): Socket {
  const s = socket as Socket & { _parent?: Socket | null; _handle?: { _parentWrap?: { stream?: Replay } } | null; stream?: Replay; [kRaw]?: Socket };
  return s._parent ?? s._handle?._parentWrap?.stream?.[kRaw] ?? s.stream?.[kRaw] ?? s[kRaw] ?? socket;
}

/** The connection's peer: a PROXY header's source, else the remote address ("" when gone). */
export function peerAddress(socket: Socket | null | undefined): string {
  if (!socket) return '';
  const raw = rawSocket(socket);
  const s = (raw as Tagged)[kSource];
  return s !== undefined ? s.address : plainAddress(raw.remoteAddress ?? socket.remoteAddress ?? '');
}

/** The connection's peer with its port: a PROXY header's source, else the remote end. */
export function peerEndpoint(socket: Socket | null | undefined): { address: string; port: number } {
  if (!socket) return { address: '', port: 0 };
  const raw = rawSocket(socket);
  const s = (raw as Tagged)[kSource];
  return s !== undefined ? { address: s.address, port: s.port } : { address: peerAddress(socket), port: raw.remotePort ?? socket.remotePort ?? 0 };
}

/** The listener address a client connection reached (of its TCP socket: see rawSocket). */
export function localEndpoint(socket: Socket): { address: string; port: number } {
  const raw = rawSocket(socket);
  return { address: raw.localAddress ?? '', port: raw.localPort ?? 0 };
}

/** What a request forwards as X-Forwarded-For, and the client address it settles on. */
export interface ForwardedFor {
  readonly client: string;
  readonly header: string;
}

/** Trusts no peer: what a caller without a config's trusted_proxies passes. */
export const NO_TRUSTED_PROXIES = new TrustedProxies([]);

/** The rule in the module comment. `xff` is the client's X-Forwarded-For fields joined with ", ". */
export function forwardedFor(peer: string, xff: string | undefined, trusted: TrustedProxies): ForwardedFor {
  if (xff === undefined || !trusted.has(peer)) return { client: peer, header: peer };
  const entries = xff.split(',');
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const a = plainAddress(entries[i]!.trim());
    if (isIP(a) === 0) break;
    client = a;
    if (!trusted.has(a)) break;
  }
  return { client, header: `${xff}, ${peer}` };
}

const kClient = Symbol('bulwark.clientAddress');
type WithClient = IncomingMessage & { [kClient]?: string };

/** Records the client address request-head.ts settled on for `req`. */
export function setClientAddress(req: IncomingMessage, address: string): void {
  (req as WithClient)[kClient] = address;
}

/** The request's client address: as settled for it, else its connection's peer. */
export function clientAddress(req: IncomingMessage): string {
  return (req as WithClient)[kClient] ?? peerAddress(req.socket);
}
