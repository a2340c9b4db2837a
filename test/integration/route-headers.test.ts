/**
 * A route's `headers:` rules over real sockets: what the origin received (set fields
 * replace every client copy, removed ones are gone, `${client_ip}` and `${request_id}`
 * expanded) and what the client received (the response rules run after bulwark's
 * hop-by-hop filtering; bulwark's own answers, such as a 503, are left as they are).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { disableAll, routedConfig, useHarness } from '../helpers/harness.js';
import { rawValues, send, withTimeout } from '../helpers/net.js';

const h = useHarness();

async function setup() {
  const origin = await h.origin((req, res) => {
    res.setHeader('server', 'origin/1.0');
    res.setHeader('x-origin', 'yes');
    res.end(JSON.stringify(req.rawHeaders));
  });
  const headers = {
    request: { set: { 'X-Env': 'prod', 'X-Client': 'ip=${client_ip}', 'X-Trace': '${request_id}/${client_ip}' }, remove: ['X-Debug', 'Cookie'] },
    response: { set: { 'X-Served-By': 'bulwark', 'X-Origin': 'replaced ${request_id}' }, remove: ['Server'] },
  };
  const bw = await h.bulwark(routedConfig({ web: [origin.url] }, [{ upstream: 'web', rules: { headers } }]));
  return { origin, bw };
}

describe('route header rules', () => {
  it('sets, replaces and removes request fields before the origin sees them', async () => {
    const { bw } = await setup();
    const r = await send(bw.url, {
      path: '/x',
      headers: { 'x-env': ['dev', 'staging'], 'X-DEBUG': '1', cookie: 'a=b', 'x-request-id': 'req-42', 'x-keep': '${client_ip}' },
    });
    expect(r.status).toBe(200);
    const got = JSON.parse(r.text) as string[];
    expect(rawValues(got, 'x-env')).toEqual(['prod']);
    expect(rawValues(got, 'x-debug')).toEqual([]);
    expect(rawValues(got, 'cookie')).toEqual([]);
    expect(rawValues(got, 'x-client')).toEqual(['ip=127.0.0.1']);
    expect(rawValues(got, 'x-trace')).toEqual(['req-42/127.0.0.1']);
    // A client's text is never expanded: only the config's values are templates.
    expect(rawValues(got, 'x-keep')).toEqual(['${client_ip}']);
    expect(rawValues(got, 'x-forwarded-for')).toEqual(['127.0.0.1']);
  });

  it('sets and removes response fields on the upstream response', async () => {
    const { bw } = await setup();
    const r = await send(bw.url, { headers: { 'x-request-id': 'req-7' } });
    expect(r.status).toBe(200);
    expect(rawValues(r.rawHeaders, 'server')).toEqual([]);
    expect(rawValues(r.rawHeaders, 'x-served-by')).toEqual(['bulwark']);
    expect(rawValues(r.rawHeaders, 'x-origin')).toEqual(['replaced req-7']);
    expect(r.headers['x-request-id']).toBe('req-7');
  });

  it("leaves bulwark's own answers alone", async () => {
    const { bw, origin } = await setup();
    disableAll(bw);
    const r = await send(bw.url, { headers: { 'x-request-id': 'req-9' } });
    expect(r.status).toBe(503);
    expect(r.headers['x-served-by']).toBeUndefined();
    expect(r.headers['x-request-id']).toBe('req-9');
    expect(origin.requests).toHaveLength(0);
  });

  it('applies the request rules to a WebSocket handshake too', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    const seen: http.IncomingMessage[] = [];
    wss.on('connection', (ws, req) => {
      seen.push(req);
      ws.send('hi');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h.defer(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = { request: { set: { 'X-Env': 'prod', 'X-Trace': '${request_id}' }, remove: ['X-Debug'] } };
    const bw = await h.bulwark(routedConfig({ web: [url] }, [{ upstream: 'web', rules: { headers } }]));
    const ws = new WebSocket(bw.url.replace('http:', 'ws:'), { headers: { 'x-env': 'dev', 'x-debug': '1', 'x-request-id': 'ws-1' } });
    h.defer(() => ws.terminate());
    expect(await withTimeout(new Promise<string>((r, j) => ws.once('message', (d) => r(String(d))).once('error', j)), 5000, 'the first frame')).toBe('hi');
    expect(rawValues(seen[0]!.rawHeaders, 'x-env')).toEqual(['prod']);
    expect(rawValues(seen[0]!.rawHeaders, 'x-debug')).toEqual([]);
    expect(rawValues(seen[0]!.rawHeaders, 'x-trace')).toEqual(['ws-1']);
  });
});
