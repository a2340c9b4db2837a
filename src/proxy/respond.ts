/**
 * @module proxy/respond
 * bulwark's own responses (errors it generates rather than forwards): a short plain-text
 * body that carries the request id, so a user's bug report can be matched to the log line.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';

/**
 * Writes a complete error response if nothing was sent yet.
 * @param close ask the client to close the connection (after a request whose body was
 *   not read, so the connection can't be reused safely).
 */
export function sendError(res: ServerResponse, status: number, requestId: string, detail: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${detail}\nrequest id: ${requestId}\n`;
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    'cache-control': 'no-store',
  };
  if (close) headers['connection'] = 'close';
  if (status === 503) headers['retry-after'] = '1';
  res.writeHead(status, headers);
  res.end(body);
}
