/**
 * @module health/probe-tcp
 * The tcp check (HAProxy's plain `check`): healthy when a fresh TCP connection to the
 * server's host and port opens within `timeout`; the connection is closed at once, and
 * nothing is written to it. For an https:// server the check also completes the TLS
 * handshake with the upstream's `tls` settings, as HAProxy checks an `ssl` server over
 * SSL: a port that accepts TCP but presents a certificate the proxy would refuse is down.
 *
 * Callers must guarantee server origins are valid URLs (config/ normalises them); an
 * invalid one just fails every check.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { HealthCheckConfig, UpstreamTls } from '../core/config.js';
import { tlsClientOptions } from '../core/upstream-tls.js';
import { describeFailure, endpointOf, runProbe, type Probe } from './probe.js';

export function tcpProbe(config: Pick<HealthCheckConfig, 'timeout'>, settings?: UpstreamTls): Probe {
  return (server, signal) =>
    runProbe(config.timeout, signal, (done) => {
      const { host, port, tls: secure } = endpointOf(server.origin);
      const socket = secure ? tls.connect({ host, port, ...tlsClientOptions(settings, server.origin) }) : net.connect({ host, port });
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        if (!secure) done({ ok: true, detail: 'TCP connect ok' });
      });
      socket.once('secureConnect', () => done({ ok: true, detail: 'TLS handshake ok' }));
      socket.on('error', (err) => done({ ok: false, detail: describeFailure(err, connected) }));
      return () => socket.destroy();
    });
}
