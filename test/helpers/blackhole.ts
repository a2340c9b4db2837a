/**
 * @module test/helpers/blackhole
 * An address on 127.0.0.1 where a TCP connect neither succeeds nor fails: it hangs until
 * the connecting side gives up, as with a firewalled host. Non-routable addresses
 * (10.255.255.1 and the like) can't be relied on: in some sandboxes a transparent proxy
 * completes every connect at once. Instead, a child process listens with a backlog of 1
 * and then blocks its event loop, so it never accepts; the test fills the kernel's accept
 * queue with idle connections, and from then on Linux drops every further SYN
 * (`tcp_conn_request`: accept queue full, so drop), and the connecting side retransmits
 * until its own timeout. The child sleeps in Atomics.wait (no CPU) and is SIGKILLed after
 * the test; the filler connections are destroyed.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { Harness } from './harness.js';

const CHILD = `
const s = require('node:net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(s.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});`;

/** How many connections wait in the accept queue of the listener on `port`, and its limit (Linux /proc). */
async function acceptQueue(port: number): Promise<{ queued: number; max: number } | undefined> {
  const text = await readFile('/proc/net/tcp', 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address rem_address st tx_queue:rx_queue; for a LISTEN socket (st 0A),
    // rx_queue is the accept queue's length and tx_queue its limit.
    if (f[1] === `0100007F:${hexPort}` && f[3] === '0A') {
      const [tx, rx] = f[4]!.split(':').map((x) => parseInt(x, 16));
      return { queued: rx!, max: tx! };
    }
  }
  return undefined;
}

/** Starts a blackholed listener (see the module comment); returns its port. */
export async function blackholePort(h: Harness): Promise<number> {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  h.defer(() => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      return exited;
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`blackhole child exited (${code}) before listening`)));
  });
  // backlog 1: the kernel completes (backlog + 1) handshakes into the queue; each filler
  // is awaited, so the queue is full once they are all connected.
  const fillers: net.Socket[] = [];
  h.defer(() => fillers.forEach((s) => s.destroy()));
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, '127.0.0.1');
    fillers.push(s);
    s.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
  }
  const q = await acceptQueue(port);
  if (q !== undefined && q.queued <= q.max) {
    throw new Error(`blackhole: the accept queue of port ${port} holds ${q.queued} of at most ${q.max} connections; expected it full`);
  }
  return port;
}
