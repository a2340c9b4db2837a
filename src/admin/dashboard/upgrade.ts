/**
 * @module admin/dashboard/upgrade
 * Who may open the dashboard's WebSocket (`GET /live`, RFC 6455): the same rules as every
 * other admin request (admin/guard: framing, one Host/Origin/Authorization, Host and Origin
 * naming the admin listener, which also stops cross-site WebSocket hijacking since a browser
 * always sends Origin on a WebSocket), then the token. A browser cannot set Authorization on
 * a WebSocket, so the token may instead travel as an offered subprotocol
 * `bulwark.token.<base64url of the token>`, beside `bulwark.v1`; the server only ever
 * answers `bulwark.v1`, so the token is never echoed. Non-browser clients may send
 * `Authorization: Bearer <token>` as on any other admin request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { bearerToken, checkRequest, tokenMatches, type GuardFailure } from '../guard.js';

/** The subprotocol the dashboard speaks (JSON status messages, server to client only). */
export const PROTOCOL = 'bulwark.v1';
/** The prefix of the subprotocol that carries the token (base64url, RFC 4648 §5, unpadded). */
export const TOKEN_PROTOCOL = 'bulwark.token.';
/** Where the WebSocket is served. */
export const LIVE_PATH = '/live';

export type UpgradeCheck = GuardFailure | { readonly status: 404; readonly message: string } | { readonly status: 200 };

/** The subprotocols offered in Sec-WebSocket-Protocol (a comma-separated list, RFC 6455 §11.3.4). */
export function offeredProtocols(req: http.IncomingMessage): string[] {
  const value = req.headers['sec-websocket-protocol'];
  return value === undefined ? [] : value.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** The token a client offered: `Authorization: Bearer`, else the token subprotocol; '' when none. */
export function offeredToken(req: http.IncomingMessage): string {
  const bearer = bearerToken(req.headers.authorization);
  if (bearer !== '') return bearer;
  const carried = offeredProtocols(req).find((p) => p.startsWith(TOKEN_PROTOCOL));
  return carried === undefined ? '' : Buffer.from(carried.slice(TOKEN_PROTOCOL.length), 'base64url').toString('utf8');
}

export function checkUpgrade(req: http.IncomingMessage, bound: AddressInfo, token: string | undefined): UpgradeCheck {
  const checked = checkRequest(req, bound, undefined);
  if (checked.status !== 200) return checked;
  const path = checked.target.split('?')[0]!;
  if (path !== LIVE_PATH) return { status: 404, message: `no WebSocket at ${path} (the dashboard's is ${LIVE_PATH})` };
  if (token !== undefined && !tokenMatches(offeredToken(req), token)) return { status: 401, message: 'missing or wrong admin token' };
  return { status: 200 };
}

/** Answers a refused upgrade with a plain HTTP response and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${status} ${http.STATUS_CODES[status]}: ${message}\n`;
  const auth = status === 401 ? 'WWW-Authenticate: Bearer realm="bulwark-admin"\r\n' : '';
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${auth}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
