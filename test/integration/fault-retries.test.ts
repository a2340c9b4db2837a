/**
 * @module test/integration/fault-retries.test
 * When bulwark retries and when it must not. A POST that reached a server is never sent
 * twice (reset or 503: exactly one attempt), while a GET in the same situation is; a GET
 * whose response died mid-body is not retried and the client sees the truncation; a POST
 * refused at connect time is retried elsewhere with its buffered body intact (and not when
 * the body was too large to buffer); and in a total outage the retry budget keeps the
 * attempts close to the number of requests.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chaosOrigins, ftBulwark, recordAttempts, webStatus } from '../helpers/fault.js';
import { echoHandler, routedConfig, sendEcho, sha256, useHarness } from '../helpers/harness.js';
import { refusingPort } from '../helpers/origin.js';
import { send, withTimeout } from '../helpers/net.js';

describe('retries', () => {
  const h = useHarness();

  it.each([
    ['resets the connection', 'reset', 502],
    ['answers 503', 'error', 503],
  ] as const)('a POST is not retried when the server %s (one attempt); a GET is', async (_what, mode, status) => {
    const origins = await chaosOrigins(h, ['a', 'b']);
    for (const o of origins) (mode === 'reset' ? o.reset() : o.error(503));
    const bw = await ftBulwark(h, origins, { retries: { attempts: 2 } });
    const attempts = () => origins.reduce((n, o) => n + o.proxied, 0);

    const post = await send(bw.url, { method: 'POST', path: '/order', body: 'pay 10 EUR', headers: { 'content-type': 'text/plain' } });
    expect(post.status).toBe(status);
    expect(attempts()).toBe(1);

    const get = await send(bw.url, { path: '/page' });
    expect(get.status).toBe(status);
    expect(attempts()).toBe(1 + 2); // the first try and one retry on the other server
    expect(origins.map((o) => o.count('/page'))).toEqual([1, 1]);
  });

  // Failed up to 3644534: with retries on, every 502/503/504 head was held back and, when
  // no retry followed, replaced by bulwark's own 503 (Retry-After: 1), losing the origin's
  // body and headers even where no retry could ever happen. Fixed in e8d054f.
  it.each([
    ['a POST (never retried after a response)', 'POST', {}, ['a'], 'a'],
    ['the last attempt of a GET (attempts spent)', 'GET', { attempts: 1 }, ['a', 'b'], 'b'],
  ] as const)('a 503 that will not be retried reaches the client as the origin sent it: %s', async (_what, method, retries, tried, last) => {
    const origins = await chaosOrigins(h, ['a', 'b']);
    for (const o of origins) o.error(503);
    const bw = await ftBulwark(h, origins, { retries });
    const r = await send(bw.url, { method, body: method === 'POST' ? 'x' : undefined });
    expect(origins.filter((o) => o.proxied > 0).map((o) => o.name)).toEqual(tried);
    expect(r.status).toBe(503);
    expect([r.headers['x-origin'], r.text]).toEqual([last, `${last}: 503`]);
  });

  it('a GET stuck on a stalled server is retried elsewhere once per_try_timeout (200ms) has passed', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    a!.stall();
    const bw = await ftBulwark(h, [a!, b!], { retries: { on: ['timeout'], per_try_timeout: '200ms' } });
    const attempts = recordAttempts(bw);
    // A native 200 ms timer started with the first attempt: bulwark's per-try timer, armed
    // in the same tick, fires right after it, so the try ends within moments of it however
    // loaded the machine (both wait on the same event loop). undici's own header timeout,
    // on its ~0.5 s tick, would end it 300 ms or more later.
    let referenceAt = 0;
    bw.app.proxy.state.upstreams.get('web')!.observers.push({
      onAttemptStart: (s) => void (s.name === 'a' && setTimeout(() => (referenceAt = Date.now()), 200)),
    });
    const t = Date.now();
    const r = await send(bw.url); // round-robin tries a first
    expect(r.text).toBe('b');
    expect(attempts.map((x) => [x.server, x.outcome.result])).toEqual([['a', 'timeout'], ['b', 'response']]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    expect(referenceAt).toBeGreaterThan(0);
    expect(attempts[0]!.at - referenceAt).toBeLessThan(100);
  });

  it('a GET whose response dies mid-body is not retried; the client sees the error', async () => {
    const origins = await chaosOrigins(h, ['a', 'b']);
    for (const o of origins) o.dieMidBody();
    const bw = await ftBulwark(h, origins, { retries: { attempts: 2 } });
    const r = await h.client(bw.url).request({ path: '/', method: 'GET' });
    expect(r.statusCode).toBe(200); // the head was already forwarded...
    await expect(withTimeout(r.body.text(), 3000, 'the truncated body')).rejects.toThrow(); // ...so the cut shows
    await expect(withTimeout(send(bw.url), 3000, 'the second response')).rejects.toThrow(/aborted|incomplete|socket hang up|ECONNRESET/);
    expect(origins.reduce((n, o) => n + o.proxied, 0)).toBe(2); // one attempt per request
  });

  it('a POST refused at connect time is retried on another server, its buffered body intact', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    await a!.refuse();
    const bw = await ftBulwark(h, [a!, b!], { retries: {} });
    const attempts = recordAttempts(bw);
    const bodies = Array.from({ length: 4 }, () => randomBytes(8 * 1024).toString('hex')); // 16 KiB each
    for (const body of bodies) {
      const r = await send(bw.url, { method: 'POST', path: '/upload', body });
      expect(r.status).toBe(200);
      expect(r.text).toBe('b');
    }
    expect(b!.log.map((x) => x.body)).toEqual(bodies);
    expect(b!.log.every((x) => x.method === 'POST' && x.headers['content-length'] === String(16 * 1024))).toBe(true);
    // Requests that tried a first were refused there, then retried on b. (Round-robin tries a
    // first for every one of them: the retry's pick of b advances the shared rotation too.)
    const onA = attempts.filter((x) => x.server === 'a').map((x) => x.outcome.result);
    expect(onA.length).toBeGreaterThanOrEqual(1);
    expect(onA.every((r) => r === 'connect_failure')).toBe(true);
  });

  it('with front.buffer_requests off, a POST whose body is over buffer_body is not retried, even after a connect failure', async () => {
    const [a, b] = await chaosOrigins(h, ['a', 'b']);
    await a!.refuse();
    const bw = await ftBulwark(h, [a!, b!], { retries: { buffer_body: '1kb' } }, { front: { buffer_requests: false } });
    const body = 'x'.repeat(4096);
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await send(bw.url, { method: 'POST', body })).status);
    expect(statuses.sort()).toEqual([200, 502]); // b's answer, and a's refusal passed on
    expect(b!.log.map((x) => x.body.length)).toEqual([4096]);
  });

  it('with request buffering (the default) a POST of any size is replayed after a connect failure, from memory or its temp file', async () => {
    // The second server reads each body whole before answering (an echo), so what it
    // received is exactly what was replayed.
    const echo = await h.origin(echoHandler);
    const dead = `http://127.0.0.1:${await refusingPort()}`;
    const bw = await h.bulwark(routedConfig({ web: [dead, echo.url] }, [{ upstream: 'web' }], { upstream: { scheduler: 'round-robin', retries: { buffer_body: '1kb' } } }));
    for (const size of [4096, 1024 * 1024]) {
      const body = randomBytes(size);
      for (let i = 0; i < 2; i++) {
        const { echo: got } = await sendEcho(bw.url, { method: 'POST', body });
        expect([got.length, got.sha256]).toEqual([size, sha256(body)]);
      }
    }
    expect(echo.requests).toHaveLength(4);
  });

  it('in a total outage the retry budget keeps attempts near the request count (503s, attempts 2, budget 20%)', async () => {
    const origins = await chaosOrigins(h, ['a', 'b', 'c']);
    for (const o of origins) o.error(503, 50);
    const bw = await ftBulwark(h, origins, { retries: { attempts: 2, budget: '20%' } });
    const N = 100;
    const replies = await Promise.all(Array.from({ length: N }, () => send(bw.url)));
    expect(replies.every((r) => r.status === 503)).toBe(true);

    const attempts = origins.reduce((n, o) => n + o.proxied, 0);
    // Without a budget: 3 attempts each (300). The budget: retries at most 20% of the
    // requests plus a reserve of 3 per second over its 10 s window.
    expect(attempts).toBeGreaterThan(N);
    expect(attempts).toBeLessThanOrEqual(N + 0.2 * N + 30); // 150, well under 3 × N
    const retries = (await webStatus(bw)).retries!;
    expect(retries.budget_exhausted).toBeGreaterThan(0);
    expect(retries.in_flight).toBe(0);
  });
});
