/**
 * @module health/probe-http
 * The http check (HAProxy's `option httpchk` + `http-check expect`): one request on a
 * connection of its own (`agent: false`, `Connection: close`), never one of the proxy's
 * pooled connections, so a check sees the server as a new client would and never
 * disturbs live traffic. Healthy when the status is in `expect_status` (inclusive) and,
 * if `expect_body` is set, the first 64 KiB of the body contain it. `timeout` covers
 * connect, response head and body.
 *
 * Callers must guarantee server origins are valid http: or https: URLs (config/
 * normalises them). https checks connect with the upstream's `tls` settings, as its pools do
 * (core/upstream-tls): a wrong CA fails the check ("tls UNABLE_TO_VERIFY_LEAF_SIGNATURE").
 */
import http from 'node:http';
import https from 'node:https';
import type { HealthCheckConfig, UpstreamTls } from '../core/config.js';
import { tlsClientOptions } from '../core/upstream-tls.js';
import { headedSocket, localProxyHeader } from '../proxy/proxy-protocol.js';
import { describeFailure, endpointOf, runProbe, type Done, type Probe } from './probe.js';

/** Most body bytes read when looking for `expect_body`. */
export const BODY_LIMIT = 64 * 1024;
const USER_AGENT = 'bulwark-health-check';

type HttpCheckConfig = Pick<HealthCheckConfig, 'timeout' | 'method' | 'path' | 'host' | 'expect_status' | 'expect_body'>;

/** `proxyProtocol`: the upstream's proxy_protocol; an http:// check then sends a LOCAL header first (HAProxy's check-send-proxy). */
export function httpProbe(config: HttpCheckConfig, tls?: UpstreamTls, proxyProtocol?: 'v1' | 'v2'): Probe {
  const { min, max } = config.expect_status;
  return (server, signal) =>
    runProbe(config.timeout, signal, (done) => {
      const ep = endpointOf(server.origin);
      let connected = false;
      const fail = (err: unknown): void => done({ ok: false, detail: describeFailure(err, connected) });
      const req = (ep.tls ? https : http).request({
        host: ep.host,
        port: ep.port,
        method: config.method,
        path: config.path,
        agent: false,
        headers: { host: config.host ?? ep.authority, connection: 'close', 'user-agent': USER_AGENT },
        ...(ep.tls ? tlsClientOptions(tls, server.origin) : {}),
        ...(proxyProtocol === undefined || ep.tls ? {} : { agent: undefined, createConnection: () => headedSocket(ep.host, ep.port, localProxyHeader(proxyProtocol)) }),
      });
      req.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < min || status > max) return done({ ok: false, detail: `HTTP ${status} (expected ${min}-${max})` });
        if (config.expect_body === undefined) return done({ ok: true, detail: `HTTP ${status}` });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('body cut short'), { code: 'ECONNRESET' }));
        });
        expectBody(res, config.expect_body, status, done);
      });
      req.end();
      return () => req.destroy();
    });
}

/** Reads up to BODY_LIMIT bytes, settling as soon as `needle` is seen or cannot be. */
function expectBody(res: http.IncomingMessage, needle: string, status: number, done: Done): void {
  const wanted = Buffer.from(needle);
  const missing = { ok: false, detail: `body does not contain ${JSON.stringify(needle)}` };
  let body = Buffer.alloc(0);
  res.on('data', (chunk: Buffer) => {
    body = Buffer.concat([body, chunk]).subarray(0, BODY_LIMIT);
    if (body.includes(wanted)) done({ ok: true, detail: `HTTP ${status}` });
    else if (body.length >= BODY_LIMIT) done(missing);
  });
  res.on('end', () => done(missing));
}
