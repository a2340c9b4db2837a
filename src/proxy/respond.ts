/**
 * @module proxy/respond
 * bulwark's own responses (errors it generates rather than forwards). The body is the
 * status, its standard text and the request id, and nothing else: a public client never
 * learns server names, flags or low-level error codes (those go to the access log's
 * `detail`, matched to a bug report by the request id). 4xx answers about the client's
 * own request may add what was wrong with it (`clientDetail`): that names nothing internal.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { isH2 } from './h2-head.js';

/** What a 405 lists in Allow: the methods bulwark forwards (not CONNECT, not TRACE). */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS';

/** The plain-text body of an error bulwark answers itself. */
export function errorBody(status: number, requestId: string, clientDetail = ''): string {
  const text = STATUS_CODES[status] ?? 'Error';
  return clientDetail === '' ? `${status} ${text}\nrequest id: ${requestId}\n` : `${status} ${text}: ${clientDetail}\nrequest id: ${requestId}\n`;
}

/**
 * Writes a complete error response if nothing was sent yet.
 * @param clientDetail only for 4xx about the client's own request (see module comment).
 * @param close ask the client to close the connection (after a request whose body was
 *   not read, or whose framing is suspect, so the connection can't be reused safely).
 */
export function sendError(res: ServerResponse, status: number, requestId: string, clientDetail: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = errorBody(status, requestId, status < 500 ? clientDetail : '');
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    'cache-control': 'no-store',
  };
  // HTTP/2 has no Connection field (RFC 9113 §8.2.2): a stream ends with its response.
  if (close && !isH2(res.req)) headers['connection'] = 'close';
  if (status === 503) headers['retry-after'] = '1';
  if (status === 405) headers['allow'] = ALLOWED_METHODS; // RFC 9110 §15.5.6
  res.writeHead(status, headers);
  res.end(body);
}
