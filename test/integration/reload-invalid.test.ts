/**
 * @module test/integration/reload-invalid.test
 * A config file that can't be applied is rejected and the running config keeps serving:
 * a bad value, a typo'd key, and two half-written files (a valid file cut mid-line: once
 * invalid YAML, once valid YAML naming an unknown upstream). Each is saved over the running
 * file (the watcher picks it up), then POST /reload is tried too. Checked: requests still go
 * to the old servers; /status keeps the version and loaded_at and shows the errors with
 * file:line:column and key path in config.last_error; POST /reload answers 400 with them;
 * the config_rejected log line. Then the fixed file is saved and applied: the version goes
 * up, loaded_at moves, last_error is cleared, the new servers answer. A file put back as
 * it was (valid, nothing to apply) clears last_error too.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import {
  adminPost,
  entries,
  getStatus,
  holdOrigins,
  startApp,
  tally,
  waitRejected,
  waitVersion,
  webConfig,
  type SaveMode,
} from '../helpers/reload.js';

interface BadCase {
  readonly what: string;
  /** The broken file, made from the fixed one. */
  readonly make: (fixed: string) => string;
  /** Text on the line the first error must point at. */
  readonly line: string;
  /** What follows "file:line:column: " in the first error (key path and rule). */
  readonly error: RegExp;
  readonly how: SaveMode;
}

/** The fixed file cut `back` characters before the end of the line containing `needle`. */
const cutInside = (needle: string, back: number) => (text: string): string => {
  const lineEnd = text.indexOf('\n', text.indexOf(needle));
  return text.slice(0, lineEnd - back);
};

const CASES: readonly BadCase[] = [
  {
    what: 'a bad value',
    make: (t) => t.replace('weight: 2', 'weight: 0'),
    line: 'weight: 0',
    error: /^upstreams\.web\.servers\[0\]\.weight: must be an integer between 1 and 1000$/,
    how: 'write',
  },
  {
    what: "a typo'd key",
    make: (t) => t.replace('scheduler:', 'schedular:'),
    line: 'schedular:',
    error: /^upstreams\.web\.schedular: unknown key "schedular"; .*\(did you mean "scheduler"\?\)$/,
    how: 'rename',
  },
  {
    what: 'a half-written file (cut mid-line: invalid YAML)',
    make: cutInside('name: c', 12),
    line: 'name: c',
    error: /^YAML syntax error: /,
    how: 'write',
  },
  {
    what: 'a half-written file (cut mid-line: valid YAML, invalid config)',
    make: cutInside('upstream: web', 1),
    line: 'upstream: we',
    error: /^routes\[0\]\.upstream: unknown upstream "we"; defined: web/,
    how: 'rename',
  },
];

describe('hot reload of an invalid file', () => {
  const h = useHarness();

  it.each(CASES)('rejects $what and keeps serving the old config until the file is fixed', async (c) => {
    const [a, b, cc] = await holdOrigins(h, ['a', 'b', 'c']);
    const bw = await startApp(h, webConfig(entries([a!, b!])));
    const fixed = webConfig(entries([b!, cc!], { b: 2 }), { scheduler: 'weighted' });
    const bad = c.make(fixed);
    expect(bad).not.toBe(fixed);
    const before = await getStatus(bw.adminUrl);
    expect(before.config).toMatchObject({ version: 1, last_error: null, file: bw.configFile });

    await bw.save(bad, c.how);
    const rejected = await waitRejected(bw.adminUrl);
    const line = bad.split('\n').findIndex((l) => l.includes(c.line)) + 1;
    expect(line).toBeGreaterThan(0);
    const [first, ...rest] = rejected.config.last_error!.errors;
    expect(first!.startsWith(`${bw.configFile}:${line}:`)).toBe(true);
    expect(first!.slice(first!.indexOf(': ') + 2)).toMatch(c.error);
    for (const e of rest) expect(e).toMatch(new RegExp(`^${bw.configFile}:\\d+:\\d+: `));
    expect(rejected.config).toMatchObject({ version: 1, loaded_at: before.config.loaded_at, needs_restart: [] });
    expect(rejected.config.last_error!.trigger).toBe('file');
    expect(bw.events('config_rejected')).toEqual([expect.objectContaining({ trigger: 'file', errors: rejected.config.last_error!.errors })]);
    expect(bw.events('config_reloaded')).toEqual([]);

    // The old config still serves: a and b, round-robin.
    expect(await tally(bw.url, 20)).toEqual({ a: 10, b: 10 });
    expect(cc!.seen()).toBe(0);

    // POST /reload reads the same file: 400 with the same errors, nothing changes.
    const r = await adminPost(bw.adminUrl, '/reload');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ error: expect.stringMatching(/rejected/), details: rejected.config.last_error!.errors });
    const after = await getStatus(bw.adminUrl);
    expect(after.config).toMatchObject({ version: 1, loaded_at: before.config.loaded_at, last_error: { trigger: 'api' } });

    // The fixed file is picked up.
    await bw.save(fixed, c.how === 'write' ? 'rename' : 'write');
    const applied = await waitVersion(bw.adminUrl, 2);
    expect(applied.config).toMatchObject({ version: 2, last_error: null });
    expect(Date.parse(applied.config.loaded_at)).toBeGreaterThan(Date.parse(before.config.loaded_at));
    expect(await tally(bw.url, 30)).toEqual({ b: 20, c: 10 });
    expect(a!.seen()).toBe(10);
  });

  it('clears last_error when the file is put back as it was (nothing to apply)', async () => {
    const origins = await holdOrigins(h, ['a', 'b']);
    const running = webConfig(entries(origins));
    const bw = await startApp(h, running, { watch: false });
    await bw.save(running.replace('scheduler:', 'schedular:'));
    expect((await adminPost(bw.adminUrl, '/reload')).status).toBe(400);
    expect((await getStatus(bw.adminUrl)).config.last_error).not.toBeNull();

    // Undo: the file is valid again and equal to what runs.
    await bw.save(running);
    const r = await adminPost(bw.adminUrl, '/reload');
    expect(JSON.parse(r.text)).toMatchObject({ result: 'unchanged', version: 1 });
    expect((await getStatus(bw.adminUrl)).config).toMatchObject({ version: 1, last_error: null });
  });
});
