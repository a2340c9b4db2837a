/**
 * @module test/integration/fleet/config-local
 * How a node's local file and the fleet config combine, on an in-process node and a real
 * redis-server: once a fleet config runs, the local file's shared blocks are left out (an
 * edit to them changes nothing), while an edit to its local blocks (listen) still reloads,
 * with the fleet config kept in front; and POST /fleet/config answers 404 without fleet: (413 over 1 MiB).
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { simpleConfig, startBulwark } from '../../helpers/bulwark.js';
import { uniquePrefix, waitFleetStatus } from '../../helpers/fleet.js';
import { useHarness } from '../../helpers/harness.js';
import { openRequest, send } from '../../helpers/net.js';
import { freePort, startRedis } from '../../helpers/redis.js';

const h = useHarness();
const WAIT = 30_000;

async function named(name: string): Promise<string> {
  return (await h.origin((_req, res) => res.end(name))).url;
}

async function waitServes(url: string, body: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const r = await send(url);
    if (r.status === 200 && r.text === body) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url} to serve "${body}" (last: ${r.status} ${r.text})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('a fleet node\'s local file under a fleet config', () => {
  it('leaves out the local shared blocks, and still reloads the local blocks', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const fleet = `fleet: { redis: "${redis.url}", node: lb-a, prefix: "${uniquePrefix('local')}" }`;
    const bw = await startBulwark(simpleConfig([await named('local')], { top: fleet }), { watch: false });
    h.defer(() => bw.stop());
    await waitServes(bw.url, 'local');
    await waitFleetStatus<{ connected: boolean }>(bw.adminUrl, (f) => f.connected, 'the node to reach Redis', WAIT);

    const pushed = await bw.app.pushFleetConfig(`upstreams:\n  web:\n    servers: [{ url: "${await named('pushed')}" }]\nroutes:\n  - upstream: web\n`, 'shared.yaml');
    expect(pushed).toEqual({ ok: true, body: { version: 1 } });
    await waitServes(bw.url, 'pushed');
    expect(bw.logs.some((l) => l['event'] === 'config_reloaded' && l['trigger'] === 'fleet')).toBe(true);

    // The local file's upstreams are its bootstrap: the fleet's win.
    await writeFile(bw.configFile, simpleConfig([await named('edited')], { top: fleet }));
    expect((await bw.app.reload('file')).result).toBe('unchanged');
    expect((await send(bw.url)).text).toBe('pushed');

    // Its listen block is its own: a second listener comes up, serving the fleet's config.
    const port = await freePort();
    await writeFile(bw.configFile, simpleConfig([await named('edited')], { top: fleet }).replace('listen: 127.0.0.1:0', `listen: [127.0.0.1:0, 127.0.0.1:${port}]`));
    const o = await bw.app.reload('file');
    expect(o.result, JSON.stringify(o)).toBe('applied');
    expect((await send(`http://127.0.0.1:${port}`)).text).toBe('pushed');
    expect((await send(bw.url)).text).toBe('pushed');
    expect(((await (await fetch(`${bw.adminUrl}/status`)).json()) as { fleet: { nodes: Array<{ config_version: number }> } }).fleet.nodes[0]!.config_version).toBe(1);
  }, 120_000);

  it('answers 404 to POST /fleet/config without fleet:', async () => {
    const bw = await startBulwark(simpleConfig([await named('local')]), { watch: false });
    h.defer(() => bw.stop());
    const r = await fetch(`${bw.adminUrl}/fleet/config`, { method: 'POST', body: 'routes: []\n' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'this bulwark runs without a fleet: block' });
    expect((await fetch(`${bw.adminUrl}/fleet/config`)).status).toBe(405);
    // Over the config size limit (1 MiB): a 413 the client gets (the rest is read and thrown
    // away; the request was destroyed mid-upload and the client saw a reset), with or without a length.
    const refused = { error: 'body larger than 1048576 bytes (the config size limit)' };
    const big = await fetch(`${bw.adminUrl}/fleet/config`, { method: 'POST', body: `# ${'x'.repeat(1024 * 1024)}\n` });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual(refused);
    const chunked = openRequest(`${bw.adminUrl}/fleet/config`, { method: 'POST' });
    for (let i = 0; i < 20; i++) chunked.req.write('#'.repeat(64 * 1024));
    chunked.req.end();
    expect(await chunked.reply).toEqual({ status: 413, text: `${JSON.stringify(refused, null, 2)}\n` });
    // A client gone midway through its body: the listener goes on answering.
    const aborted = openRequest(`${bw.adminUrl}/fleet/config`, { method: 'POST', headers: { 'content-length': '1000' } });
    aborted.reply.catch(() => {});
    aborted.req.write('routes: []\n');
    aborted.req.destroy();
    expect((await fetch(`${bw.adminUrl}/healthz`)).status).toBe(200);
  });
});
