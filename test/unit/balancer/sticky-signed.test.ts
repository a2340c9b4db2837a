/**
 * @module test/unit/balancer/sticky-signed
 * Signed cookie-mode cookies for a fleet: any holder of the key reads the server back, the
 * value reveals no server name, and a tampered, re-targeted or foreign-key cookie is refused.
 */
import { describe, expect, it } from 'vitest';
import { CookieSigner } from '../../../src/balancer/sticky/index.js';
import { cookieKeyProblem } from '../../../src/runtime/fleet/sticky.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const servers = ['app-1.internal', 'app-2.internal'];
const signer = (key = KEY, upstream = 'web', names = servers): CookieSigner => new CookieSigner(key, upstream, () => names);

describe('CookieSigner', () => {
  it('mints an opaque ID.SERVER.MAC value that another signer with the same key reads back', () => {
    const v = signer().mint('app-2.internal');
    expect(v).toMatch(/^[\w-]{22}\.[\w-]{16}\.[\w-]{22}$/);
    expect(v).not.toContain('app');
    expect(signer().read(v)).toBe('app-2.internal');
    expect(signer().mint('app-2.internal')).not.toBe(v); // each session its own id
  });

  it('refuses a tampered value, a token moved to another cookie, another key, another upstream', () => {
    const s = signer();
    const v = s.mint('app-1.internal');
    const [id, token, mac] = v.split('.') as [string, string, string];
    const other = s.mint('app-2.internal').split('.')[1]!;
    expect(s.read(`${id}.${other}.${mac}`)).toBeUndefined();
    expect(s.read(`${id}.${token}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(signer(Buffer.from('another key, also 32 bytes long!')).read(v)).toBeUndefined();
    expect(signer(KEY, 'api').read(v)).toBeUndefined();
    for (const bad of ['', 'x', 'a.b.c', `${v}.x`, v.slice(1)]) expect(s.read(bad)).toBeUndefined();
  });

  it('refuses a MAC that differs only in the unused bits of its last base64url character', () => {
    const s = signer();
    const v = s.mint('app-1.internal');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = v.slice(0, -1) + alphabet[alphabet.indexOf(v.at(-1)!) ^ 1]!;
    expect(Buffer.from(twin.split('.')[2]!, 'base64url')).toEqual(Buffer.from(v.split('.')[2]!, 'base64url'));
    expect(s.read(twin)).toBeUndefined();
    expect(s.signed(twin)).toBe(false);
  });

  it('reads a signed value whose server is gone as none, yet still knows it was signed', () => {
    const v = signer().mint('app-2.internal');
    const fewer = signer(KEY, 'web', ['app-1.internal']);
    expect(fewer.read(v)).toBeUndefined();
    expect(fewer.signed(v)).toBe(true);
  });

  it('refuses a short key', () => {
    expect(() => signer(Buffer.from('short'))).toThrow(/at least 32 bytes/);
  });
});

describe('cookieKeyProblem', () => {
  const fleet = { redis: { url: 'redis://127.0.0.1', username_env: undefined, password_env: undefined, tls: false }, node: 'a', prefix: 'p:', timeout: 5, cookie_key_env: 'CK' };
  it('names the file, the key and the variable when it is unset or short', () => {
    expect(cookieKeyProblem(fleet, 'lb.yaml', {})).toBe('lb.yaml: fleet.cookie_key_env: names CK, which is not set or empty: set it to the same secret of at least 32 characters on every node, or remove fleet.cookie_key_env');
    expect(cookieKeyProblem(fleet, 'lb.yaml', { CK: 'short' })).toMatch(/^lb\.yaml: fleet\.cookie_key_env: names CK, which is only 5 bytes long:/);
    expect(cookieKeyProblem(fleet, 'lb.yaml', { CK: 'x'.repeat(32) })).toBeUndefined();
    expect(cookieKeyProblem({ ...fleet, cookie_key_env: undefined }, 'lb.yaml', {})).toBeUndefined();
    expect(cookieKeyProblem(undefined, 'lb.yaml', {})).toBeUndefined();
  });
});
