/**
 * @module test/unit/deploy/systemd-unit.test
 * conf/bulwark.service: systemd's own checker accepts it (when `systemd-analyze` is
 * installed), and it keeps the promises the README makes: reload by SIGHUP after a
 * validation, a graceful stop with more time than the drain, restart on failure, an
 * unprivileged hardened process that may still bind ports below 1024.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRONT_TIMEOUTS, parseDuration } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const UNIT = join(REPO_ROOT, 'conf', 'bulwark.service');
const text = readFileSync(UNIT, 'utf8');

/** `[Section] Key=value` lines, each key's values in order (a key may repeat). */
function parseUnit(unit: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) section = header[1]!;
    else {
      const eq = line.indexOf('=');
      const key = `${section}.${line.slice(0, eq)}`;
      keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return keys;
}
const unit = parseUnit(text);
const one = (key: string): string | undefined => unit.get(key)?.at(-1);

/** `systemd-analyze verify FILE`: its exit status and the lines it printed about FILE. */
function verify(file: string): { status: number | null; complaints: string[] } {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  const name = file.split('/').pop()!;
  return { status: r.status, complaints: `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(name)) };
}
const analyzer = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const missing = analyzer.error === undefined ? undefined : 'systemd-analyze is not installed; apt-get install systemd provides it';
const suffix = missing === undefined ? '' : ` (skipped: ${missing})`;

describe('conf/bulwark.service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(missing !== undefined)(`systemd-analyze verify accepts it without a complaint${suffix}`, () => {
    expect(verify(UNIT)).toEqual({ status: 0, complaints: [] });
  });

  it.skipIf(missing !== undefined)(`systemd-analyze verify would name a misspelt key or a missing program${suffix}`, () => {
    const bad = join(dir, 'bad.service');
    writeFileSync(bad, text.replace('ProtectHome=', 'ProtectHom=').replace('ExecStart=/usr/bin/env', 'ExecStart=/nonexistent/env'));
    const { complaints } = verify(bad);
    expect(complaints.join('\n')).toMatch(/Unknown key 'ProtectHom'/);
    expect(complaints.join('\n')).toMatch(/\/nonexistent\/env is not executable/);
  });

  it('starts bulwark on one config, and reloads it by SIGHUP only once `bulwark validate` passes', () => {
    const start = /^\/usr\/bin\/env bulwark start -c (\S+)$/.exec(one('Service.ExecStart') ?? '');
    expect(start).not.toBeNull();
    expect(unit.get('Service.ExecReload')).toEqual([`/usr/bin/env bulwark validate -c ${start![1]}`, '/bin/kill -HUP $MAINPID']);
  });

  it('stops gracefully with more time than the default drain, and restarts only on failure', () => {
    expect(one('Service.KillSignal')).toBe('SIGTERM');
    expect(one('Service.KillMode')).toBe('mixed');
    expect(parseDuration(one('Service.TimeoutStopSec'))).toBeGreaterThan(DEFAULT_FRONT_TIMEOUTS.drain);
    expect(one('Service.Restart')).toBe('on-failure');
  });

  it('runs unprivileged and hardened, writing only its state directory, with CAP_NET_BIND_SERVICE alone', () => {
    expect(one('Service.User')).toMatch(/^(?!root$|0$)\w+$/);
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['StateDirectory', 'bulwark'],
      ['ReadWritePaths', '/var/lib/bulwark'],
      ['CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE'],
      ['AmbientCapabilities', 'CAP_NET_BIND_SERVICE'],
    ]) expect({ key, value: one(`Service.${key}`) }).toEqual({ key, value });
  });
});
