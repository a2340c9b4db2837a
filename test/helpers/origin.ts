/**
 * Real origin servers for integration tests: node:http on 127.0.0.1 port 0, every socket
 * tracked so `close()` leaves nothing behind.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

/** A port that was free a moment ago and now refuses connections. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
