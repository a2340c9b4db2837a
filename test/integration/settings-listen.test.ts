/**
 * @module test/integration/settings-listen.test
 * `listen` as a list: every address in it is bound and serves, so a build that used only
 * the first (or the default 0.0.0.0:8080) fails here. A single ignored address is caught by
 * cli.test.ts (start exits 1 when its listen address is taken) and reload-listen.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

/** Two distinct ports that were free a moment ago (both held open while they are chosen). */
async function twoFreePorts(): Promise<[number, number]> {
  const servers = [http.createServer(), http.createServer()];
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return [ports[0]!, ports[1]!];
}

describe('listen', () => {
  const h = useHarness();

  it('a list of two addresses: both are bound and proxy', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const [p1, p2] = await twoFreePorts();
    const yaml = simpleConfig([origin.url]).replace('listen: 127.0.0.1:0', `listen: ["127.0.0.1:${p1}", "127.0.0.1:${p2}"]`);
    const bw = await h.bulwark(yaml);
    expect(bw.app.addresses.map((a) => a.port)).toEqual([p1, p2]);
    for (const p of [p1, p2]) expect((await send(`http://127.0.0.1:${p}`)).text).toBe('ok');
  });

  it('port 0 repeated: each entry gets a port of its own (only one was bound)', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = simpleConfig([origin.url]).replace('listen: 127.0.0.1:0', 'listen: ["127.0.0.1:0", "127.0.0.1:0"]');
    const bw = await h.bulwark(yaml);
    const ports = bw.app.addresses.map((a) => a.port);
    expect(ports).toHaveLength(2);
    expect(ports[0]).not.toBe(ports[1]);
    for (const p of ports) expect((await send(`http://127.0.0.1:${p}`)).text).toBe('ok');
  });
});
