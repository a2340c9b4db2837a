/**
 * @module test/integration/backup-sessions.test
 * One session record from end to end: records with awkward keys (quotes, backslashes,
 * control characters, non-BMP text, 256 characters) go in through POST /sessions/import,
 * out through GET /sessions/export, into a snapshot (`bulwark backup create`, the real CLI)
 * whose sessions part is the very same text, and back through the startup restore after a
 * restart, every field (key, upstream, server, expires_at) and the LRU order kept. And an
 * import's bad lines are named by their line numbers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNdjson, type StickyEntry } from '../../src/balancer/sticky/index.js';
import { BACKUP_TEST_MS, backupConfig, BackupSite, serversOf } from '../helpers/backup.js';
import { assertBuilt } from '../helpers/cli.js';
import { useHarness } from '../helpers/harness.js';

const exportText = async (adminUrl: string): Promise<string> => (await fetch(`${adminUrl}/sessions/export`)).text();

describe('backup: the session record through export, snapshot and restore', () => {
  const h = useHarness();
  beforeAll(assertBuilt);

  it('keeps every field of every record through export → snapshot → startup restore', { timeout: BACKUP_TEST_MS }, async () => {
    const names = ['a', 'b'];
    const origins = await h.namedOrigins(names);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, names), backup: 'interval: 1h' }));
    const first = await site.start();
    // Within the 30m ttl, so no expiry is cut on import; whole ms, one apart.
    const base = Date.now() + 10 * 60_000;
    const keys = ['plain', 'q"uo\\te', 'ctl\u0001\t\u007f', '\u00e9\u{1F600}\u2028', 'k'.repeat(256), ' spaced key '];
    const records: StickyEntry[] = keys.map((key, i) => ({ key, upstream: 'web', server: names[i % 2]!, expires_at: base + i }));
    const imp = await fetch(`${first.adminUrl}/sessions/import?mode=replace`, { method: 'POST', body: encodeNdjson(records) });
    expect(await imp.json()).toEqual({ mode: 'replace', upstreams: { web: { imported: keys.length, expired: 0, invalid: 0, kept: 0, size: keys.length } } });

    const exported = await exportText(first.adminUrl);
    expect(exported).toBe(encodeNdjson(records));
    const created = await site.cli('create', first);
    expect(created.code, created.stderr).toBe(0);
    const id = /created snapshot (\S+)/.exec(created.stdout)![1]!;
    expect(await readFile(join(site.backups, id, 'sessions.ndjson'), 'utf8')).toBe(exported);
    await first.stop();

    const second = await site.start();
    expect(second.events('backup_sessions_restored')[0]).toMatchObject({ sessions: keys.length });
    expect(await exportText(second.adminUrl)).toBe(exported);
  });

  it('names the bad lines of an import by their numbers and loads the good ones', { timeout: BACKUP_TEST_MS }, async () => {
    const origins = await h.namedOrigins(['a']);
    const site = await BackupSite.create(h, backupConfig({ servers: serversOf(origins, ['a']), backup: 'interval: 1h' }));
    const run = await site.start();
    const t = Date.now() + 60_000;
    const body = [
      `{"key":"k1","upstream":"web","server":"a","expires_at":${t}}`,
      '{"key":"k2","upstream":"web","server":"a","expires_at":',
      `{"key":"k3","upstream":"web","expires_at":${t}}`,
      '',
      `{"key":"k5","upstream":"web","server":"a","expires_at":${t}}`,
    ].join('\n');
    const r = await fetch(`${run.adminUrl}/sessions/import?mode=merge`, { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      mode: 'merge',
      upstreams: { web: { imported: 2, expired: 0, invalid: 2, kept: 0, size: 2 } },
      problems: ['line 2: not JSON', 'line 3: server must be a string'],
    });
  });
});
