/**
 * @module test/integration/reload-listen.test
 * A reload that changes `listen`: the new port is bound before the old one closes, so a
 * client trying both ports in a loop always finds one answering; afterwards the old port
 * refuses connections. A connection the old port took just before the switch is served,
 * not reset. A request in flight on a keep-alive connection to the old port completes,
 * and that connection is then closed rather than kept serving on the closed listener. A reload to a port that is already taken is rejected (400 from POST /reload
 * naming the address) and the old port keeps serving.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useHarness, type Harness } from '../helpers/harness.js';
import { closedPort } from '../helpers/origin.js';
import { send, tryConnect, waitFor, withTimeout, type RawConn } from '../helpers/net.js';
import {
  adminPost,
  entries,
  HOLD_PATH,
  holdBody,
  holdOrigins,
  startApp,
  waitRejected,
  waitVersion,
  webConfig,
  type HoldOrigin,
  type ReloadBulwark,
} from '../helpers/reload.js';

interface Tick {
  readonly at: number;
  /** Per port: "200", or the error code of the attempt. */
  readonly outcomes: readonly string[];
}

/** Tries GET / on every port at once (fresh connections), again and again until `done()`. */
async function hammer(ports: readonly number[], done: () => boolean): Promise<Tick[]> {
  const ticks: Tick[] = [];
  while (!done()) {
    const at = Date.now();
    const outcomes = await Promise.all(
      ports.map((p) =>
        send(`http://127.0.0.1:${p}`).then(
          (r) => String(r.status),
          (err: NodeJS.ErrnoException) => err.code ?? err.message,
        ),
      ),
    );
    ticks.push({ at, outcomes });
  }
  return ticks;
}

const FRONT = ['  timeouts: { keep_alive: 30s }'];

/** Waits until `port` refuses connections (the old listener stops after a short grace). */
async function waitRefused(port: number): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    if ((await tryConnect(port))?.code === 'ECONNREFUSED') return;
    if (Date.now() > deadline) throw new Error(`port ${port} still accepts connections`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One origin "a" behind bulwark on port 0 with a 30 s front keep-alive. */
async function setup(h: Harness): Promise<{ a: HoldOrigin; bw: ReloadBulwark; moveTo: (port: number) => Promise<void> }> {
  const [a] = await holdOrigins(h, ['a']);
  const bw = await startApp(h, webConfig(entries([a!]), { front: FRONT }));
  const moveTo = (port: number): Promise<void> => bw.save(webConfig(entries([a!]), { listen: `127.0.0.1:${port}`, front: FRONT }), 'rename');
  return { a: a!, bw, moveTo };
}

/** On a raw keep-alive connection to `port`: one quick request, then a held one. */
async function heldOnKeepAlive(h: Harness, port: number, a: HoldOrigin): Promise<RawConn> {
  const raw = await h.raw(port);
  raw.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
  const [first] = await raw.waitResponses(1);
  expect(first).toMatchObject({ status: 200, body: 'a' });
  raw.write(`GET ${HOLD_PATH} HTTP/1.1\r\nHost: test\r\n\r\n`);
  await waitFor(() => a.held() === 1, 3000, 'the held request at the origin');
  return raw;
}

describe('hot reload of listen', () => {
  const h = useHarness();

  it('moves to the new port with no moment where neither port answers; the old one then refuses', async () => {
    const { bw, moveTo } = await setup(h);
    const oldPort = bw.port;
    const newPort = await closedPort();
    let stop = false;
    const ticks = hammer([oldPort, newPort], () => stop);
    await new Promise((r) => setTimeout(r, 200));
    await moveTo(newPort);
    await waitVersion(bw.adminUrl, 2);
    await waitRefused(oldPort);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    const all = await ticks;

    expect(all.length).toBeGreaterThan(20);
    // No moment without a listener. (A connection the old port's kernel queue took just
    // before it closed can be reset: that race has its own test below.)
    const gaps = all.filter((t) => !t.outcomes.includes('200') && t.outcomes[0] !== 'ECONNRESET');
    expect(gaps).toEqual([]);
    expect(all[0]!.outcomes).toEqual(['200', 'ECONNREFUSED']);
    expect(all.at(-1)!.outcomes).toEqual(['ECONNREFUSED', '200']);
    // Once the old port refused, it never answered again.
    const firstRefusal = all.findIndex((t) => t.outcomes[0] === 'ECONNREFUSED');
    expect(all.slice(firstRefusal).filter((t) => t.outcomes[0] === '200')).toEqual([]);
    expect(bw.app.addresses.map((x) => x.port)).toEqual([newPort]);
    expect(bw.events('config_reloaded')).toEqual([expect.objectContaining({ version: 2, changes: expect.arrayContaining(['listen addresses changed']) })]);
  });

  it('serves a connection that reached the old port just before the switch', async () => {
    const { bw, moveTo } = await setup(h);
    // Connect (and send a request) to the old port right as the listeners change: the
    // kernel completes the handshake at once, before bulwark's event loop accepts it.
    let late: Promise<string> | undefined;
    const listeners = bw.app.listeners;
    const update = listeners.update.bind(listeners);
    listeners.update = (wanted) => {
      late ??= send(bw.url).then(
        (r) => String(r.status),
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      return update(wanted);
    };
    await moveTo(await closedPort());
    await waitVersion(bw.adminUrl, 2);
    expect(late).toBeDefined();
    expect(await late).toBe('200');
  });

  it("completes a request in flight on the old port's keep-alive connection", async () => {
    const { a, bw, moveTo } = await setup(h);
    const raw = await heldOnKeepAlive(h, bw.port, a);
    await moveTo(await closedPort());
    await waitVersion(bw.adminUrl, 2);
    await waitRefused(bw.port);
    a.release();
    const held = (await raw.waitResponses(2))[1]!;
    expect(held).toMatchObject({ status: 200, body: holdBody('a') });
  });

  it("closes the old port's keep-alive connection once its in-flight request is done", async () => {
    const { a, bw, moveTo } = await setup(h);
    const raw = await heldOnKeepAlive(h, bw.port, a);
    await moveTo(await closedPort());
    await waitVersion(bw.adminUrl, 2);
    a.release();
    const held = (await raw.waitResponses(2))[1]!;
    expect(held.status).toBe(200);
    // The listener is closed: the connection ends once its response is done, rather than
    // staying open (here for the 30 s keep-alive) and serving more requests. (The held
    // response's head went out before the reload, so it could not say `Connection: close`;
    // responses that start after the reload do, see the next test.)
    const closed = await withTimeout(raw.closed, 2000, 'the close').then(
      () => true,
      () => false,
    );
    let servedAnother = false;
    if (!closed) {
      raw.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
      servedAnother = await raw.waitResponses(3).then(
        () => true,
        () => false,
      );
    }
    expect({ closed, servedAnother }).toEqual({ closed: true, servedAnother: false });
  });

  it('answers requests that start on the old port after the reload with Connection: close', async () => {
    const { bw, moveTo } = await setup(h);
    const raw = await h.raw(bw.port);
    raw.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect((await raw.waitResponses(1))[0]!.headers['connection']).toBe('keep-alive');
    await moveTo(await closedPort());
    await waitVersion(bw.adminUrl, 2);
    raw.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    const second = (await raw.waitResponses(2))[1]!;
    expect(second).toMatchObject({ status: 200, body: 'a' });
    expect(second.headers['connection']).toBe('close');
    await withTimeout(raw.closed, 2000, 'the close');
  });

  it('rejects a reload to a port already in use and keeps serving on the old one', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    h.defer(() => new Promise<void>((r) => blocker.close(() => r())));
    const taken = (blocker.address() as AddressInfo).port;
    const { bw, moveTo } = await setup(h);

    await moveTo(taken);
    const doc = await waitRejected(bw.adminUrl);
    expect(doc.config.version).toBe(1);
    expect(doc.config.last_error!.errors).toEqual([expect.stringContaining(`127.0.0.1:${taken}`)]);
    expect(doc.config.last_error!.errors[0]).toMatch(/EADDRINUSE/);
    const r = await adminPost(bw.adminUrl, '/reload');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ details: [expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${taken}.*EADDRINUSE`))] });
    expect((await send(bw.url)).text).toBe('a');
    expect(bw.app.addresses.map((x) => x.port)).toEqual([bw.port]);
    expect((await waitVersion(bw.adminUrl, 1)).config.version).toBe(1);
  });
});
