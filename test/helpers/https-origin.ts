/**
 * @module test/helpers/https-origin
 * An https origin on 127.0.0.1 port 0 for the upstream TLS tests: it answers every request
 * with its name, echoes WebSocket messages prefixed with it, and records, per TLS
 * connection, the SNI name the client sent and the client certificate's CN (mutual TLS).
 * Closed after the test through the Harness. Also the certificates those tests share.
 */
import { mkdtempSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { issueCert, makeCa, type CertFiles } from './certs.js';
import type { Harness } from './harness.js';

/** A CA, a second CA that signed none of these, and leaves signed by the first. */
export interface UpstreamPki {
  readonly dir: string;
  readonly ca: CertFiles;
  readonly otherCa: CertFiles;
  /** For origin.test, localhost and 127.0.0.1. */
  readonly site: CertFiles;
  /** Like site, expired yesterday. */
  readonly expired: CertFiles;
  /** Client certificates (mutual TLS), CN bulwark-client and bulwark-client-2. */
  readonly client: CertFiles;
  readonly client2: CertFiles;
}

/** Makes the certificates in a fresh temp folder (the caller removes `dir`). */
export function upstreamPki(): UpstreamPki {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-upstream-tls-'));
  const ca = makeCa(dir);
  return {
    dir,
    ca,
    otherCa: makeCa(mkdtempSync(join(dir, 'other-')), 'another CA'),
    site: issueCert(dir, ca, 'site', { names: ['origin.test', 'localhost', '127.0.0.1'] }),
    expired: issueCert(dir, ca, 'expired', { days: -1 }),
    client: issueCert(dir, ca, 'client', { names: ['bulwark-client'] }),
    client2: issueCert(dir, ca, 'client2', { names: ['bulwark-client-2'] }),
  };
}

export interface HttpsOrigin {
  readonly url: string;
  readonly port: number;
  /** One entry per TLS connection accepted: the SNI name, or false when none was sent. */
  readonly sni: Array<string | false>;
  /** The CN of the client certificate of each request ('' when none). */
  readonly clientCns: string[];
  /** Requests answered. */
  readonly requests: number;
}

/** Starts an https origin answering `name` with the key and certificate of `tls` (plus any ServerOptions). */
export async function httpsOrigin(h: Harness, name: string, tls: https.ServerOptions): Promise<HttpsOrigin> {
  const sni: Array<string | false> = [];
  const clientCns: string[] = [];
  let requests = 0;
  const server = https.createServer(tls, (req, res) => {
    requests++;
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    clientCns.push(typeof peer?.subject?.CN === 'string' ? peer.subject.CN : '');
    req.resume();
    req.on('end', () => res.end(name));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`${name}:${String(d)}`)));
  server.on('secureConnection', (s: TLSSocket) => sni.push(s.servername ?? false));
  // A refused handshake is what several tests provoke: not an error of the origin.
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  h.defer(async () => {
    wss.clients.forEach((c) => c.terminate());
    server.closeAllConnections();
    await Promise.all([new Promise((r) => wss.close(r)), new Promise((r) => server.close(r))]);
  });
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    sni,
    clientCns,
    get requests() {
      return requests;
    },
  };
}
