/**
 * Request-target normalisation (issue 12 item 3): one case per rule of src/proxy/target.ts.
 */
import { describe, expect, it } from 'vitest';
import { TargetError, normalizeOriginForm, parseAbsoluteForm } from '../../../src/proxy/target.js';

function norm(t: string): string {
  const r = normalizeOriginForm(t);
  if (r instanceof TargetError) throw new Error(`${t}: refused: ${r.reason}`);
  return r;
}
function refused(t: string): string {
  const r = normalizeOriginForm(t);
  if (!(r instanceof TargetError)) throw new Error(`${t}: accepted as ${r}`);
  return r.reason;
}

describe('normalizeOriginForm', () => {
  it('leaves ordinary targets exactly as they are (same string)', () => {
    for (const t of ['/', '/a', '/a/b/', '/a.b/c..d/.e', '/a?x=../..//%2f#', '/x?q=%zz', '/a;b=1/c']) {
      if (t.includes('#')) continue;
      expect(norm(t)).toBe(t);
    }
  });

  it('removes dot-segments (RFC 3986 §5.2.4)', () => {
    expect(norm('/public/../secret')).toBe('/secret');
    expect(norm('/a/./b/../c')).toBe('/a/c');
    expect(norm('/a/b/..')).toBe('/a/');
    expect(norm('/a/b/.')).toBe('/a/b/');
    expect(norm('/a/..')).toBe('/');
    expect(norm('/.')).toBe('/');
  });

  it('decodes encoded dots and other unreserved characters, so %2e%2e is ..', () => {
    expect(norm('/public/%2e%2e/secret')).toBe('/secret');
    expect(norm('/public/%2E%2e/secret')).toBe('/secret');
    expect(norm('/public/.%2e/secret')).toBe('/secret');
    expect(norm('/%41%7e%2D%5f')).toBe('/A~-_');
  });

  it('keeps other encodings, upper-casing their hex', () => {
    expect(norm('/caf%c3%a9/%20x')).toBe('/caf%C3%A9/%20x');
    expect(norm('/a%3fb')).toBe('/a%3Fb');
  });

  it('merges runs of slashes, as nginx merge_slashes does', () => {
    expect(norm('//a///b//')).toBe('/a/b/');
    expect(norm('/public//..//secret')).toBe('/secret');
  });

  it('forwards the query untouched, normalising only the path', () => {
    expect(norm('/a/../b?x=/../y&z=%2e%2E')).toBe('/b?x=/../y&z=%2e%2E');
    expect(norm('/a/..?')).toBe('/?');
  });

  it('refuses a fragment anywhere', () => {
    expect(refused('/public/x#frag')).toMatch(/fragment/);
    expect(refused('/x?a=b#c')).toMatch(/fragment/);
    expect(refused('/#')).toMatch(/fragment/);
  });

  it('refuses encoded slashes and backslashes, literal backslashes and encoded NUL', () => {
    expect(refused('/public%2f..%2fsecret')).toMatch(/encoded slash/);
    expect(refused('/public/..%2Fsecret')).toMatch(/encoded slash/);
    expect(refused('/public/..%5csecret')).toMatch(/encoded slash or backslash/);
    expect(refused('/public\\..\\secret')).toMatch(/backslash/);
    expect(refused('/a%00b')).toMatch(/NUL/);
  });

  it('refuses malformed percent-encodings', () => {
    expect(refused('/a%zz')).toMatch(/malformed/);
    expect(refused('/a%2')).toMatch(/malformed/);
    expect(refused('/a%')).toMatch(/malformed/);
  });

  it('refuses climbing above the root', () => {
    expect(refused('/..')).toMatch(/above the root/);
    expect(refused('/a/../../b')).toMatch(/above the root/);
    expect(refused('/%2e%2e/etc/passwd')).toMatch(/above the root/);
  });

  it('refuses dot-segments with parameters (Tomcat reads ..;x as ..)', () => {
    expect(refused('/public/..;/secret')).toMatch(/parameters/);
    expect(refused('/public/.;x/secret')).toMatch(/parameters/);
    expect(norm('/public/a;x/b')).toBe('/public/a;x/b');
  });
});

describe('parseAbsoluteForm', () => {
  it('splits authority and normalised path', () => {
    expect(parseAbsoluteForm('http://Example.COM:8080/a/../b?q')).toEqual({ authority: 'example.com:8080', path: '/b?q' });
    expect(parseAbsoluteForm('http://a.test')).toEqual({ authority: 'a.test', path: '/' });
    expect(parseAbsoluteForm('https://a.test?x=1')).toEqual({ authority: 'a.test', path: '/?x=1' });
  });

  it('refuses userinfo, fragments and unparseable authorities', () => {
    for (const t of ['http://a@internal.test/', 'http://u:p@x/', 'http://x/#f', 'http://', 'http://x:99999/', 'http://[::1/x', 'ftp://x/']) {
      expect(parseAbsoluteForm(t)).toBeInstanceOf(TargetError);
    }
    expect((parseAbsoluteForm('http://a@internal.test/') as TargetError).reason).toMatch(/userinfo/);
  });
});
