/**
 * @module core/upstream-tls
 * The TLS client settings for one https:// server of an upstream, made in one place so the
 * proxy's pools, the WebSocket tunnel and the health probes connect alike. Callers must
 * guarantee `origin` is a valid URL (config/ normalises server origins).
 */
import { isIP } from 'node:net';
import type { UpstreamTls } from './config-upstream.js';

/** What node:tls's connect (and https.request) takes, for one server. */
export interface TlsClientOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /**
   * The SNI name the certificate is checked against; '' sends no SNI, and Node then checks
   * the certificate against the host (an IP literal). Never the client's Host header.
   */
  readonly servername: string;
  readonly rejectUnauthorized: boolean;
}

/** The host of `origin` as a socket wants it (IPv6 without brackets). */
export function originHost(origin: string): string {
  return new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The settings for the server at `origin`: the upstream's `tls` block, else Node's bundled
 * roots and full verification. SNI is tls.servername, else the server's host when it is a
 * name, and none for an IP literal (RFC 6066 §3 allows host names only).
 */
export function tlsClientOptions(tls: UpstreamTls | undefined, origin: string): TlsClientOptions {
  const host = originHost(origin);
  const servername = tls?.servername ?? (isIP(host) === 0 ? host : '');
  return {
    ...(tls?.ca_pem === undefined ? {} : { ca: tls.ca_pem }),
    ...(tls?.cert_pem === undefined ? {} : { cert: tls.cert_pem }),
    ...(tls?.key_pem === undefined ? {} : { key: tls.key_pem }),
    servername,
    rejectUnauthorized: tls?.verify ?? true,
  };
}
