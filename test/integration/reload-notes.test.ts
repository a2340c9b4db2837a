/**
 * @module test/integration/reload-notes.test
 * What a reload says it changed: the POST /reload answer and the `config_reloaded` log
 * line carry one note per change, naming each changed server or upstream setting with its
 * old and new value ("o1: weight 1 → 3"), not just which servers changed.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { adminPost, entries, holdOrigins, startApp, tally, webConfig } from '../helpers/reload.js';

describe('reload notes', () => {
  const h = useHarness();

  it('name each changed key with its old and new value', async () => {
    const [a, b, c] = await holdOrigins(h, ['a', 'b', 'c']);
    const bw = await startApp(h, webConfig(entries([a!, b!]), { scheduler: 'weighted' }), { watch: false });
    await bw.save(webConfig(entries([a!, c!], { a: 3 }), { scheduler: 'weighted', upstream: ['    keep_alive: 10s'] }));
    const answer = JSON.parse((await adminPost(bw.adminUrl, '/reload')).text) as { result: string; changes: string[] };
    const notes = ['upstream web: keep_alive 4s → 10s', 'upstream web: a: weight 1 → 3', 'upstream web: c added', 'upstream web: b removed'];
    expect(answer).toMatchObject({ result: 'applied', changes: notes });
    expect(bw.events('config_reloaded')).toEqual([expect.objectContaining({ version: 2, changes: notes })]);
    // And they are true: a now takes three requests for each of c's.
    expect(await tally(bw.url, 8)).toEqual({ a: 6, c: 2 });
  });
});
