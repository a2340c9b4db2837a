/**
 * @module test/integration/reload-restart-keys.test
 * Settings bound at start-up (admin.listen, admin.token_env, front.max_header_size): a
 * reload that changes them applies everything else, keeps their running values, logs a
 * `needs_restart` warning per key and lists them in /status config.needs_restart; they
 * stay listed across later reloads until the file agrees with the running values again.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { send, tryConnect } from '../helpers/net.js';
import { closedPort } from '../helpers/origin.js';
import { entries, getStatus, holdOrigins, startApp, tally, waitVersion, webConfig } from '../helpers/reload.js';

const RUNNING = { admin: 'listen: 127.0.0.1:0', front: ['  max_header_size: 16kb'] };

describe('hot reload of settings that need a restart', () => {
  const h = useHarness();

  it('applies the rest of the change, keeps the running values and reports them', async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    const [a, b] = origins;
    const bw = await startApp(h, webConfig(entries([a!]), RUNNING));
    const newAdminPort = await closedPort();
    const changed = { admin: `listen: 127.0.0.1:${newAdminPort}, token_env: BULWARK_TEST_NEW_TOKEN`, front: ['  max_header_size: 4kb'] };
    const bigHeader = { 'x-big': 'y'.repeat(8 * 1024) };
    expect((await send(bw.url, { headers: bigHeader })).status).toBe(200);

    await bw.save(webConfig(entries([b!]), changed), 'rename');
    // The admin API stays where it was, without a token.
    const doc = await waitVersion(bw.adminUrl, 2);
    const KEYS = ['admin.listen', 'admin.token_env', 'front.max_header_size'];
    expect(doc.config.needs_restart).toEqual(KEYS);
    expect(bw.events('needs_restart')).toEqual(KEYS.map((key) => expect.objectContaining({ key, level: 40, msg: expect.stringContaining(`${key} changed in ${bw.configFile}`) })));
    expect(bw.events('config_reloaded')).toEqual([
      expect.objectContaining({ version: 2, changes: expect.arrayContaining(KEYS.map((k) => `${k} changed: needs a restart to take effect`)) }),
    ]);
    expect((await tryConnect(newAdminPort))?.code).toBe('ECONNREFUSED');
    // The running max_header_size (16 KiB) still holds: 8 KiB of header is fine.
    expect((await send(bw.url, { headers: bigHeader })).status).toBe(200);
    // The rest applied: b serves now.
    expect(await tally(bw.url, 4)).toEqual({ b: 4 });

    // A later reload that leaves them as they are still reports them.
    await bw.save(webConfig(entries([a!, b!]), changed));
    expect((await waitVersion(bw.adminUrl, 3)).config.needs_restart).toEqual(KEYS);
    expect(await tally(bw.url, 4)).toEqual({ a: 2, b: 2 });

    // Back to the running values: nothing awaits a restart any more.
    await bw.save(webConfig(entries([a!]), RUNNING), 'rename');
    const back = await waitVersion(bw.adminUrl, 4);
    expect(back.config.needs_restart).toEqual([]);
    expect(back.config.last_error).toBeNull();
    expect(await tally(bw.url, 2)).toEqual({ a: 2 });
    expect((await getStatus(bw.adminUrl)).config.version).toBe(4);
  });
});
