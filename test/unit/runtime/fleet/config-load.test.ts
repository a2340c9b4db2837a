/**
 * @module test/unit/runtime/fleet/config-load
 * The local file's text for a fleet reload: read and validated again only when the file
 * changed (a fleet config arriving leaves it alone), always for a loader that is no file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/index.js';
import { ConfigError } from '../../../../src/core/errors.js';
import { localTextOf } from '../../../../src/runtime/fleet/config-load.js';
import type { ConfigLoader } from '../../../../src/runtime/reload.js';

let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

const yaml = (port: number): string => `listen: 127.0.0.1:${port}\nupstreams:\n  web: { servers: [{ url: "http://127.0.0.1:9" }] }\nroutes:\n  - upstream: web\n`;

/** A loader of `file` that counts its reads, and throws the issues of an invalid file. */
function counting(file: string, read: () => string): { load: ConfigLoader; calls: () => number } {
  let n = 0;
  const load: ConfigLoader = () => {
    n++;
    const text = read();
    const { config, issues } = parseConfig(text, file);
    return config === undefined ? Promise.reject(new ConfigError(issues)) : Promise.resolve({ config, text });
  };
  return { load, calls: () => n };
}

describe('localTextOf', () => {
  it('reads the file again only once it changed, and keeps refusing a broken one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-cfgload-'));
    const file = join(dir, 'bulwark.yaml');
    let text = yaml(8080);
    await writeFile(file, text);
    const { load, calls } = counting(file, () => text);
    const localText = localTextOf(load, file);
    expect(await localText()).toBe(text);
    expect(await localText()).toBe(text);
    expect(calls()).toBe(1);
    text = yaml(18081);
    await writeFile(file, text);
    expect(await localText()).toBe(text);
    expect(calls()).toBe(2);
    text = 'listen: [\n';
    await writeFile(file, text);
    await expect(localText()).rejects.toThrow(/YAML syntax error/);
    await expect(localText()).rejects.toThrow(/YAML syntax error/);
    expect(calls()).toBe(4);
  });

  it('calls a loader that is no file every time', async () => {
    const { load, calls } = counting('embedded', () => yaml(8080));
    const localText = localTextOf(load, '/nonexistent/embedded.yaml');
    await localText();
    await localText();
    expect(calls()).toBe(2);
  });
});
