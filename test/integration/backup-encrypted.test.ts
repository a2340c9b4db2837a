/**
 * @module test/integration/backup-encrypted.test
 * Encrypted snapshots (backup.encrypt_key_env, AES-256-GCM): `bulwark backup create` with
 * the key writes only ciphertext, `verify` with the key passes, and `restore --sessions`
 * puts the sticky table back so every cookie lands on its server again. A wrong key gives
 * a clear "cannot decrypt: wrong key" from verify and a refusal from restore; no key at all
 * says a key is needed and where it is read from; and create without the key refuses to
 * write an unencrypted snapshot.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { askWith, backupConfig, BackupSite, newSession, serversOf } from '../helpers/backup.js';
import { useHarness } from '../helpers/harness.js';
import { adminPost } from '../helpers/reload.js';

const KEY_ENV = 'BULWARK_TEST_BACKUP_KEY';

describe('backup: encryption', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('round-trips with the key and refuses a wrong or missing one', async () => {
    process.env[KEY_ENV] = 'correct horse battery staple';
    h.defer(() => delete process.env[KEY_ENV]);
    const right = { [KEY_ENV]: 'correct horse battery staple' };
    const wrong = { [KEY_ENV]: 'not the key' };
    const none = { [KEY_ENV]: '' };
    const names = ['a', 'b'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: `interval: 1h, encrypt_key_env: ${KEY_ENV}` }));
    const bw = await site.start();
    const sessions = [await newSession(bw.url), await newSession(bw.url), await newSession(bw.url), await newSession(bw.url)];

    const [created, refused] = await Promise.all([site.cli('create', bw, [], right), site.cli('create', bw, [], none)]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('4 sessions');
    expect(created.stdout).toContain('encrypted');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`backup.encrypt_key_env names ${KEY_ENV}, which is not set or empty: refusing to write an unencrypted snapshot`);
    const id = /created snapshot (\S+)/.exec(created.stdout)![1]!;
    expect((await readdir(join(site.backups, id))).sort()).toEqual(['config.yaml.enc', 'manifest.json', 'sessions.ndjson.enc']);
    const stored = await readFile(join(site.backups, id, 'config.yaml.enc'));
    expect(stored.includes('upstreams')).toBe(false);

    const [ok, bad, missing, badRestore] = await Promise.all([
      site.cli('verify', undefined, [id], right),
      site.cli('verify', undefined, [id], wrong),
      site.cli('verify', undefined, [id], none),
      site.cli('restore', bw, [id], wrong),
    ]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${id}: ok`);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('config.yaml.enc: cannot decrypt: wrong key or corrupted data');
    expect(bad.stdout).toContain(`the key was read from ${KEY_ENV}`);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('snapshot is encrypted: a key is needed');
    expect(missing.stdout).toContain(`hint: set ${KEY_ENV} (backup.encrypt_key_env) to the key`);
    expect(badRestore.code).toBe(1);
    expect(badRestore.stderr).toContain(`refusing to restore snapshot ${id}: it does not verify`);

    // Empty the running table, then restore it from the encrypted snapshot.
    expect((await adminPost(bw.adminUrl, '/sessions/import?mode=replace', '')).status).toBe(200);
    expect(bw.app.proxy.state.upstreams.get('web')!.affinity!.table.size).toBe(0);
    const restored = await site.cli('restore', bw, [id, '--only', 'sessions'], right);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('with 4 entries');
    for (const s of sessions.reverse()) expect(await askWith(bw.url, s.cookie, 10)).toEqual({ [s.server]: 10 });
  });
});
