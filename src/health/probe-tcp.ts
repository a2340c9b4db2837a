/**
 * @module health/probe-tcp
 * The tcp check (HAProxy's plain `check`): healthy when a fresh TCP connection to the
 * server's host and port opens within `timeout`; the connection is closed at once, and
 * nothing is written to it.
 *
 * Callers must guarantee server origins are valid URLs (config/ normalises them); an
 * invalid one just fails every check.
 */
import net from 'node:net';
import type { HealthCheckConfig } from '../core/config.js';
import { describeFailure, endpointOf, runProbe, type Probe } from './probe.js';

export function tcpProbe(config: Pick<HealthCheckConfig, 'timeout'>): Probe {
  return (server, signal) =>
    runProbe(config.timeout, signal, (done) => {
      const { host, port } = endpointOf(server.origin);
      const socket = net.connect({ host, port });
      socket.once('connect', () => done({ ok: true, detail: 'TCP connect ok' }));
      socket.on('error', (err) => done({ ok: false, detail: describeFailure(err, false) }));
      return () => socket.destroy();
    });
}
