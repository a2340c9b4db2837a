/**
 * @module proxy/request-head
 * The checks a request head passes before anything is forwarded, then routing. Every
 * refusal names its status and what was wrong (for the access log; see respond.ts for
 * what the client is told). The order matters: framing and header limits come before
 * routing, so a malformed head never reaches a route's upstream, and a missing Host is
 * only judged after the target (an absolute-form authority replaces Host).
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCodes, type ErrorCode } from '../core/errors.js';
import { framingProblem } from '../core/framing.js';
import type { PickContext } from '../balancer/scheduler.js';
import { h2RequestHead, isH2 } from './h2-head.js';
import { clientAddress, peerAddress, setClientAddress } from './client-address.js';
import { forwardRequestHeaders, type RequestHeadInfo } from './headers.js';
import type { RouteRuntime } from './route.js';
import { hostName } from './router.js';
import type { ProxyState } from './state.js';
import { TargetError, normalizeOriginForm, parseAbsoluteForm } from './target.js';
import type { UpstreamRuntime } from './upstream.js';
import { isTls } from './front-listener.js';

/** The outcome of validating and routing a request head. */
export class Resolved {
  constructor(
    readonly head: RequestHeadInfo,
    /** Path and query to send upstream. */
    readonly path: string,
    /** The matched route; undefined when `status` says why not. */
    readonly route: RouteRuntime | undefined,
    /** The upstream the route chose for this request; undefined when `status` says why not. */
    readonly upstream: UpstreamRuntime | undefined,
    /** 0 when routed, else the status to answer with. */
    readonly status: number,
    /** The BLWK_ code of a refusal ("" when routed). */
    readonly code: ErrorCode | '',
    readonly detail: string,
    /** A split's Set-Cookie for the response (route-split.ts), if one is due. */
    readonly setCookie: string | undefined = undefined,
  ) {}
}

function refused(head: RequestHeadInfo, path: string, status: number, code: ErrorCode, detail: string): Resolved {
  return new Resolved(head, path, undefined, undefined, status, code, detail);
}

/**
 * Validates the head of `req` and routes it with `state`'s table.
 * @param newId makes the request id when the client sent none (see headers.ts).
 */
export function resolveRequest(req: IncomingMessage, state: ProxyState, newId: () => string): Resolved {
  const target = req.url ?? '/';
  let path: string | TargetError;
  let authority: string | undefined;
  if (target.charCodeAt(0) === 47 /* / */) path = normalizeOriginForm(target);
  else {
    // RFC 9112 §3.2.2: absolute-form; its authority replaces Host.
    const abs = parseAbsoluteForm(target);
    if (abs instanceof TargetError) path = abs;
    else {
      authority = abs.authority;
      path = abs.path;
    }
  }
  const front = state.config.front;
  // HTTP/2 (RFC 9113): pseudo-headers to Host; no Transfer-Encoding framing to check.
  const h2 = isH2(req) ? h2RequestHead(req.rawHeaders, front.h2_max_header_list_size) : undefined;
  const raw = h2 === undefined ? req.rawHeaders : h2.fields;
  const head = forwardRequestHeaders(raw, peerAddress(req.socket), isTls(req) ? 'https' : 'http', newId, authority, front.underscores_in_headers, state.trusted);
  setClientAddress(req, head.clientIp);
  const bad = ErrorCodes.BAD_REQUEST;
  // Counted here, not by Node: its maxHeadersCount drops the fields past it silently.
  if (raw.length > 2 * front.max_headers) return refused(head, target, 431, bad, `more than ${front.max_headers} header fields`);
  const framing = h2 === undefined ? framingProblem(req.httpVersionMajor, req.httpVersionMinor, head.transferEncoding) : undefined;
  if (framing !== undefined) return refused(head, target, framing.status, bad, framing.message);
  if (head.error !== undefined) return refused(head, target, 400, bad, head.error);
  if (h2?.problem !== undefined) return refused(head, target, h2.problem.status, bad, h2.problem.message);
  // TRACE echoes the request, cookies and credentials included, back to whoever sent
  // it (cross-site tracing); nginx refuses it too. CONNECT only gets here over HTTP/2
  // (HTTP/1.1's goes to upgrade.ts): no tunnels either way.
  if (req.method === 'TRACE' || req.method === 'CONNECT') return refused(head, target, 405, bad, `${req.method} is not supported`);
  if (path instanceof TargetError) return refused(head, target, 400, bad, path.reason);
  if (head.host === undefined && (req.httpVersion === '1.1' || h2 !== undefined)) {
    return refused(head, path, 400, bad, h2 === undefined ? 'missing Host header' : 'missing :authority'); // RFC 9112 §3.2, RFC 9113 §8.3.1
  }
  const router = state.router;
  const route = router.match(router.usesHost ? hostName(head.host) : '', path);
  if (route === undefined) return refused(head, path, 404, ErrorCodes.NO_ROUTE, 'no route matches this request');
  route.requestHeaders?.apply(head.headers, { clientIp: head.clientIp, requestId: head.requestId });
  const choice = route.choose(req);
  return new Resolved(head, route.upstreamPath(path), route, choice.upstream, 0, '', '', choice.setCookie);
}

/** The lazily-read request facts a scheduler may use (most schedulers read none). */
export class RequestContext implements PickContext {
  readonly #req: IncomingMessage;
  readonly path: string;
  /** Read at arrival (client-address.ts: X-Forwarded-For from a trusted proxy, PROXY protocol). */
  readonly clientIp: string | undefined;
  constructor(req: IncomingMessage, path: string) {
    this.#req = req;
    this.path = path;
    this.clientIp = clientAddress(req);
  }
  get headers(): IncomingMessage['headers'] {
    return this.#req.headers;
  }
}

/** A WebSocket opening handshake (RFC 6455 §4.1): GET with `Upgrade: websocket`. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.method === 'GET' && req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}
