/**
 * @module test/integration/rate-limit-attack.test
 * Evading a route's rate_limit key. A header key is charged for every copy of the field a
 * request carries: an upstream may read the first copy or the last (Node keeps the first
 * Authorization, HAProxy's req.hdr() takes the last, others join them), so a client whose
 * own key is spent must not pass by adding a fresh decoy copy before or after it. On a
 * ManualClock: no refill happens unless the test moves time.
 */
import { describe, expect, it } from 'vitest';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.js';
import { ManualClock } from '../helpers/clock.js';
import { routedConfig, useHarness } from '../helpers/harness.js';

describe('rate_limit evasion', () => {
  const h = useHarness();

  async function limited(key: string): Promise<TestBulwark> {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = routedConfig({ web: [origin.url] }, [{ upstream: 'web', rules: { rate_limit: { rate: '1/m', burst: 1, key: `header:${key}` } } }]);
    const bw = await startBulwark(yaml, { clock: new ManualClock(Date.now()), watch: false });
    h.defer(() => bw.stop(200));
    return bw;
  }

  /** The status of one request with `fields` (raw lines, so copies and case are as written). */
  async function status(bw: TestBulwark, fields: readonly string[]): Promise<number> {
    const c = await h.raw(bw.port);
    const r = await c.request(`GET / HTTP/1.1\r\nHost: t\r\n${fields.map((f) => `${f}\r\n`).join('')}Connection: close\r\n\r\n`);
    c.destroy();
    return r.status;
  }

  for (const name of ['X-Api-Key', 'Authorization']) {
    it(`charges every copy of ${name}: a decoy copy before or after a spent key does not pass`, async () => {
      const bw = await limited(name);
      expect(await status(bw, [`${name}: spent`])).toBe(200);
      expect(await status(bw, [`${name}: spent`])).toBe(429);
      expect(await status(bw, [`${name}: decoy1`, `${name}: spent`])).toBe(429);
      expect(await status(bw, [`${name}: spent`, `${name}: decoy2`])).toBe(429);
      expect(await status(bw, [`${name.toUpperCase()}: decoy3`, `${name.toLowerCase()}: spent`])).toBe(429);
      // A fresh key alone still has its own bucket; the same key twice is one key.
      expect(await status(bw, [`${name}: fresh`, `${name}: fresh`])).toBe(200);
    });
  }
});
