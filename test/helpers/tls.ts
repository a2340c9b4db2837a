/**
 * @module test/helpers/tls
 * Clients of a TLS listener for the tls-* tests: one https request that reports what the
 * handshake gave (the served certificate's subject and serial, the ALPN protocol), and a
 * bulwark config with one TLS listener and one plain one.
 */
import https from 'node:https';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { CertFiles } from './certs.js';

export interface TlsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The served certificate's CN and serial number. */
  readonly cn: string;
  readonly serial: string;
  readonly alpn: string | false;
  /** Whether the request went over a connection an earlier request opened. */
  readonly reused: boolean;
}

export interface TlsRequest {
  readonly ca: CertFiles;
  readonly path?: string;
  /** The SNI name (and Host); default localhost. */
  readonly servername?: string;
  readonly agent?: https.Agent | false;
  readonly timeoutMs?: number;
}

/** One GET over TLS to 127.0.0.1:`port`, verified against `ca`. */
export function tlsGet(port: number, o: TlsRequest): Promise<TlsReply> {
  const servername = o.servername ?? 'localhost';
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: o.path ?? '/', servername, ca: o.ca.pem, headers: { host: servername }, agent: o.agent ?? false, timeout: o.timeoutMs ?? 10_000, ...{ ALPNProtocols: ['http/1.1'] } },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            cn: String(peer.subject?.CN ?? ''),
            serial: peer.serialNumber ?? '',
            alpn: socket.alpnProtocol ?? false,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A handshake alone with 127.0.0.1:`port`: the served certificate's CN and the ALPN protocol picked; rejects when it fails. */
export function tlsConnect(port: number, opts: ConnectionOptions): Promise<{ cn: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => {
      resolve({ cn: String(s.getPeerCertificate().subject?.CN ?? ''), alpn: s.alpnProtocol ?? false });
      s.end();
    });
    s.on('error', reject);
  });
}

export interface TlsConfigOptions {
  /** Fields of the TLS listener besides address and tls (YAML flow text, e.g. `hsts: true`). */
  readonly listener?: string;
  /** More of its tls block (YAML flow text, e.g. `min_version: TLSv1.3`). */
  readonly tls?: string;
  /** The second, plain listener (YAML flow mapping or address); default 127.0.0.1:0. */
  readonly plain?: string;
  /** Lines of upstream "web" (indented 4). */
  readonly upstream?: readonly string[];
  readonly front?: string;
  readonly workers?: number;
  /** The TLS listener's address; default 127.0.0.1:0. */
  readonly address?: string;
}

/** Upstream "web" on `origin` behind a TLS listener (first) serving `cert`, and a plain listener. */
export function tlsConfig(origin: string, cert: CertFiles, o: TlsConfigOptions = {}): string {
  return [
    'listen:',
    `  - { address: "${o.address ?? '127.0.0.1:0'}", tls: { cert: "${cert.cert}", key: "${cert.key}"${o.tls ? `, ${o.tls}` : ''} }${o.listener ? `, ${o.listener}` : ''} }`,
    `  - ${o.plain ?? '127.0.0.1:0'}`,
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: false }',
    ...(o.workers === undefined ? [] : [`workers: ${o.workers}`]),
    ...(o.front === undefined ? [] : [`front: ${o.front}`]),
    'upstreams:',
    '  web:',
    ...(o.upstream ?? []),
    '    servers:',
    `      - { name: a, url: "${origin}" }`,
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n');
}
