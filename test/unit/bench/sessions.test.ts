/**
 * The sticky learn-mode load of the fleet bench (benchmarks/lib/sessions.js): one request in
 * NEW_EVERY starts a session (x-bench-session, no cookie); every other one carries the cookie
 * of a session started before it, so it hits a pinned key.
 */
import { describe, expect, it } from 'vitest';
import { learnLoad, NEW_EVERY, RING } from '../../../benchmarks/lib/sessions.js';

describe('learnLoad', () => {
  it('starts one session in NEW_EVERY requests and sends the others with a started one', () => {
    const [req] = learnLoad('t');
    const started = new Set<string>();
    let fresh = 0;
    const n = 5 * RING * NEW_EVERY;
    for (let i = 0; i < n; i++) {
      const { headers } = req!.setupRequest({ headers: { accept: '*/*' } });
      expect(headers['accept']).toBe('*/*');
      const id = headers['x-bench-session'];
      if (id !== undefined) {
        expect(headers['cookie']).toBeUndefined();
        expect(started.has(id)).toBe(false);
        started.add(id);
        fresh++;
      } else expect(started.has(/^JSESSIONID=(.*)$/.exec(headers['cookie']!)![1]!)).toBe(true);
    }
    expect(fresh).toBe(n / NEW_EVERY + 1);
  });
});
