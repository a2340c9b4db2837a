/**
 * Real origin servers for integration tests: node:http on 127.0.0.1 port 0, every socket
 * tracked so `close()` leaves nothing behind.
 */
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface Origin {
  readonly server: http.Server;
  readonly port: number;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** Requests seen, in order. */
  readonly requests: http.IncomingMessage[];
  close(): Promise<void>;
}

export async function startOrigin(handler: http.RequestListener = (_req, res) => res.end('ok')): Promise<Origin> {
  const sockets = new Set<Socket>();
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An origin that answers with its own name, for distribution tests. */
export function namedOrigin(name: string): Promise<Origin> {
  return startOrigin((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': name });
    res.end(name);
  });
}

/**
 * A port nothing listens on, for a dead server: a privileged one (below 1024), which no
 * test's listen(0) can be handed, so it keeps refusing for the whole test. (A port freed
 * a moment ago can be handed to another test's listener when many run in parallel: a
 * "refused" server then accepts and never answers.)
 */
export async function refusingPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(undefined)));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    });
    if (err?.code === 'ECONNREFUSED') return port;
  }
  throw new Error('no refusing port below 1024 on 127.0.0.1');
}

/** A port that was free a moment ago (to listen on next). For a dead server use refusingPort. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
