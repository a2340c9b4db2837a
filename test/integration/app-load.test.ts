/**
 * @module test/integration/app-load.test
 * An App whose config does not come from a file (AppOptions.load, what an embedder's
 * config object goes through): it starts from what `load` gives, and each reload calls
 * `load` again, applying a valid result and rejecting an invalid one with its issues.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { App } from '../../src/runtime/app.js';
import { useHarness } from '../helpers/harness.js';
import { send } from '../helpers/net.js';

const NAME = '<embedded config>';

/** JSON is YAML: a config object goes through the same validation as a file. */
function configOf(servers: Record<string, string>, extra: Record<string, unknown> = {}): string {
  const list = Object.entries(servers).map(([name, url]) => ({ name, url }));
  return JSON.stringify({ listen: '127.0.0.1:0', admin: { listen: '127.0.0.1:0' }, log: { level: 'silent' }, upstreams: { web: { servers: list } }, routes: [{ upstream: 'web' }], ...extra });
}

describe('an App started from a config source other than a file', () => {
  const h = useHarness();

  it('starts from `load` and reloads through it', async () => {
    const [a, b] = await h.namedOrigins(['a', 'b']);
    let text = configOf({ a: a!.url });
    const load = async () => {
      const { config, issues } = parseConfig(text, NAME);
      if (config === undefined) throw new ConfigError(issues);
      return { config, text };
    };
    const app = await App.start({ configFile: NAME, load, watch: false, logDestination: { write: () => undefined } });
    h.defer(() => app.stop(200));
    const url = `http://127.0.0.1:${app.addresses[0]!.port}`;
    expect((await send(url)).text).toBe('a');

    text = configOf({ b: b!.url });
    expect(await app.reload('api')).toMatchObject({ result: 'applied', version: 2, changes: ['upstream web: b added', 'upstream web: a removed'] });
    expect((await send(url)).text).toBe('b');

    text = configOf({ b: b!.url }, { routes: [{ upstream: 'nowhere' }] });
    const rejected = await app.reload('api');
    expect(rejected).toMatchObject({ result: 'rejected', version: 2 });
    expect(rejected.errors).toEqual([expect.stringMatching(/^<embedded config>:\d+:\d+: routes\[0\]\.upstream: .*nowhere/)]);
    expect((await send(url)).text).toBe('b');
  });
});
