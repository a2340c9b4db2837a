/**
 * A split's choice with an injected random source: the weights' running totals decide,
 * the header hash is deterministic, and a cookie naming a side wins over the draw.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { SplitSticky } from '../../../src/core/config.js';
import { Split } from '../../../src/proxy/route-split.js';
import type { UpstreamRuntime } from '../../../src/proxy/upstream.js';

const ups = new Map(['v1', 'v2', 'v3'].map((name) => [name, { name } as UpstreamRuntime]));
const request = (headers: Record<string, string> = {}): IncomingMessage => ({ headers, socket: {} }) as unknown as IncomingMessage;
const targets = [
  { upstream: 'v1', weight: 6 },
  { upstream: 'v2', weight: 3 },
  { upstream: 'v3', weight: 1 },
];

function split(sticky: SplitSticky | undefined, draws: number[]): Split {
  return new Split(targets, sticky, ups, () => draws.shift()!);
}

describe('Split', () => {
  it('draws by the running totals of the weights (6, 9, 10 of 10)', () => {
    const s = split(undefined, [0, 0.59, 0.6, 0.89, 0.9, 0.999, 1]);
    expect(Array.from({ length: 7 }, () => s.choose(request()).upstream.name)).toEqual(['v1', 'v1', 'v2', 'v2', 'v3', 'v3', 'v3']);
  });

  it('hashes a header value onto the weights, the same way every time, and draws without it', () => {
    const a = split({ kind: 'header', name: 'x-user' }, []);
    const b = split({ kind: 'header', name: 'x-user' }, [0.95]);
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      expect(a.choose(request({ 'x-user': user })).upstream.name).toBe(b.choose(request({ 'x-user': user })).upstream.name);
    }
    expect(b.choose(request()).upstream.name).toBe('v3');
  });

  it('keeps a cookie that names a side, and draws and sets one otherwise', () => {
    const s = split({ kind: 'cookie', name: 'canary' }, [0.95, 0.1]);
    expect(s.choose(request({ cookie: 'canary=v2' }))).toEqual({ upstream: ups.get('v2'), setCookie: undefined });
    expect(s.choose(request({ cookie: 'canary=nope' }))).toEqual({ upstream: ups.get('v3'), setCookie: 'canary=v3; Path=/; HttpOnly; SameSite=Lax' });
    expect(s.choose(request({ cookie: 'xcanary=v3' }))).toEqual({ upstream: ups.get('v1'), setCookie: 'canary=v1; Path=/; HttpOnly; SameSite=Lax' });
  });
});
