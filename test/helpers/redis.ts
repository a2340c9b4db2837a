/**
 * @module test/helpers/redis
 * A real `redis-server` for the fleet tests, on a free 127.0.0.1 port, with no persistence
 * (`--save '' --appendonly no`). start() resolves once it answers PING; stop() kills it
 * and waits for the exit; restart() brings it back on the same port (an empty Redis, as
 * after a crash without persistence). The caller registers close() as a cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections open but answers nothing (a hung host). */
  pause(): void;
  resume(): void;
  /** Stops it if it runs; idempotent. */
  close(): Promise<void>;
}

/** A port nothing listens on now: bound to 0, read, released. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when a Redis answers PING on the port. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += String(chunk);
      if (data.includes('\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data.startsWith('+PONG')));
  });
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += String(c)));
  child.stderr!.on('data', (c) => (output += String(c)));
  const deadline = Date.now() + 20_000;
  while (!(await pings(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within 20 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // SIGKILL: a crash, not a clean shutdown (and there is nothing to persist).
  child.kill('SIGKILL');
  await exited;
}

export async function startRedis(port?: number): Promise<TestRedis> {
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined = await launch(p);
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c) await kill(c);
  };
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    stop,
    async restart() {
      await stop();
      child = await launch(p);
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    close: stop,
  };
}
