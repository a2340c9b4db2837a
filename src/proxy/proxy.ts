/**
 * @module proxy/proxy
 * The request path: validate the head, route, pick a server, forward. The routing table
 * and upstreams live in one immutable ProxyState that a request captures when it starts,
 * so a later config swap (hot reload) is atomic: no request sees half of each config.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { systemClock, systemRandom, type Clock, type Random } from '../core/clock.js';
import type { BulwarkConfig } from '../core/config.js';
import { ErrorCodes } from '../core/errors.js';
import { framingProblem } from '../core/framing.js';
import type { PickContext } from '../balancer/scheduler.js';
import { BodyLimit, bodyTooLarge } from './body-limit.js';
import { Exchange, ProxyResponse } from './exchange.js';
import { onRetiringListener } from './front.js';
import { forwardRequestHeaders, type RequestHeadInfo } from './headers.js';
import { rejectUpgrade, tunnel } from './upgrade.js';
import { ALLOWED_METHODS, sendError } from './respond.js';
import type { BodyBufferSettings } from './request-body.js';
import type { BufferingSettings } from './spool.js';
import { Router, hostName } from './router.js';
import { TargetError, normalizeOriginForm, parseAbsoluteForm } from './target.js';
import { UpstreamRuntime, type PoolFactory } from './upstream.js';

/** One access-log entry; handed to `onAccess` after the response ends or fails. */
export interface AccessRecord {
  /** Epoch ms when the request arrived. */
  readonly time: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly upstream: string | undefined;
  readonly server: string | undefined;
  readonly duration_ms: number;
  readonly request_id: string;
  /** BLWK_ code for failed exchanges, "" otherwise. */
  readonly error: string;
  /** What went wrong, for operators ("" when nothing did); never sent to the client. */
  readonly detail: string;
}

export interface ProxyOptions {
  readonly random?: Random;
  readonly clock?: Clock;
  readonly poolFactory?: PoolFactory;
  readonly newRequestId?: () => string;
  readonly onAccess?: (record: AccessRecord) => void;
}

export class ProxyState {
  readonly config: BulwarkConfig;
  readonly upstreams: ReadonlyMap<string, UpstreamRuntime>;
  readonly router: Router<UpstreamRuntime>;
  /** How responses are buffered for clients that fall behind (front.*). */
  readonly buffering: BufferingSettings;
  /** How request bodies are read before forwarding (front.buffer_requests). */
  readonly requestBuffering: BodyBufferSettings;
  /** Small bodies kept for retries when request buffering is off (memory only). */
  readonly retryBuffering: BodyBufferSettings;

  /**
   * @param previous the state this one replaces on a reload: upstreams of the same name
   *   are built from their predecessors, keeping servers, pools and schedulers that did not
   *   change (see UpstreamRuntime).
   */
  constructor(config: BulwarkConfig, random: Random, clock: Clock, poolFactory?: PoolFactory, previous?: ProxyState) {
    const ups = new Map<string, UpstreamRuntime>();
    for (const [name, u] of config.upstreams) {
      ups.set(name, new UpstreamRuntime(u, { random, clock, poolFactory }, previous?.upstreams.get(name)));
    }
    this.config = config;
    this.upstreams = ups;
    this.router = new Router(config.routes, (name) => ups.get(name)!);
    const f = config.front;
    this.buffering = {
      memory: f.buffer_responses ? f.response_buffer_size : 0,
      maxFile: f.buffer_responses ? f.max_temp_file_size : 0,
      dir: f.temp_path,
      sendTimeout: f.timeouts.send,
    };
    this.requestBuffering = { memory: f.request_buffer_size, toFile: true, dir: f.temp_path, max: f.max_body_size };
    this.retryBuffering = { memory: Infinity, toFile: false, dir: f.temp_path, max: f.max_body_size };
  }
}

/** The lazily-read request facts a scheduler may use (most schedulers read none). */
class RequestContext implements PickContext {
  readonly #req: IncomingMessage;
  readonly path: string;
  /** Read at arrival: req.socket is gone once a body has been buffered to the end. */
  readonly clientIp: string | undefined;
  constructor(req: IncomingMessage, path: string) {
    this.#req = req;
    this.path = path;
    this.clientIp = req.socket.remoteAddress;
  }
  get headers(): IncomingMessage['headers'] {
    return this.#req.headers;
  }
}

const kCondemned = Symbol('bulwark.condemned');
/** A client connection that will close after the response now going out. */
type Condemnable = Socket & { [kCondemned]?: boolean };

/** A WebSocket opening handshake (RFC 6455 §4.1): GET with `Upgrade: websocket`. */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.method === 'GET' && req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}


/** The outcome of validating and routing a request head. */
export class Resolved {
  constructor(
    readonly head: RequestHeadInfo,
    /** Path and query to send upstream. */
    readonly path: string,
    /** The matched upstream; undefined when `status` says why not. */
    readonly upstream: UpstreamRuntime | undefined,
    /** 0 when routed, else the status to answer with. */
    readonly status: number,
    readonly detail: string,
  ) {}
}

export class Proxy {
  #state: ProxyState;
  readonly #newId: () => string;
  readonly #random: Random;
  readonly #clock: Clock;
  readonly #poolFactory: PoolFactory | undefined;
  /** The access-log sink; undefined turns access logging off (a reload may change it). */
  onAccess: ((r: AccessRecord) => void) | undefined;
  /** Requests being handled right now (for graceful drain). */
  inFlight = 0;
  /** Set during graceful drain: responses ask clients to close their connections. */
  draining = false;

  /** Whether the response to `req` should close its connection (drain, or a retiring listener). */
  closesConnection(req: IncomingMessage): boolean {
    return this.draining || onRetiringListener(req);
  }
  /** Open upgraded connections (WebSocket tunnels), cut at the end of a drain. */
  readonly tunnels = new Set<Duplex>();
  readonly #exchangeDone: (ex: Exchange) => void;

  constructor(config: BulwarkConfig, opts: ProxyOptions = {}) {
    this.#random = opts.random ?? systemRandom;
    this.#clock = opts.clock ?? systemClock;
    this.#poolFactory = opts.poolFactory;
    this.#state = new ProxyState(config, this.#random, this.#clock, this.#poolFactory);
    this.#newId = opts.newRequestId ?? randomUUID;
    this.onAccess = opts.onAccess;
    this.#exchangeDone = (ex) => this.record(ex.req, ex.start, ex.requestId, ex.status, ex.upstream.name, ex.server?.name, ex.error, ex.detail);
  }

  get state(): ProxyState {
    return this.#state;
  }

  /** Builds the state for a new config from the running one (nothing is swapped yet). */
  prepare(config: BulwarkConfig): ProxyState {
    return new ProxyState(config, this.#random, this.#clock, this.#poolFactory, this.#state);
  }

  /**
   * Makes `next` the state new requests use, atomically; requests already running finish
   * on the state they captured. Returns the replaced state.
   */
  swap(next: ProxyState): ProxyState {
    const prev = this.#state;
    this.#state = next;
    return prev;
  }

  /**
   * Validates the request head and routes it. Returns the target, or a local answer
   * (status and detail) when the request can't be forwarded.
   */
  resolve(req: IncomingMessage): Resolved {
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
    const front = this.#state.config.front;
    const head = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', 'http', this.#newId, authority, front.underscores_in_headers);
    // Counted here, not by Node: its maxHeadersCount drops the fields past it silently.
    if (req.rawHeaders.length > 2 * front.max_headers) return new Resolved(head, target, undefined, 431, `more than ${front.max_headers} header fields`);
    const framing = framingProblem(req.httpVersionMajor, req.httpVersionMinor, head.transferEncoding);
    if (framing !== undefined) return new Resolved(head, target, undefined, framing.status, framing.message);
    if (head.error !== undefined) return new Resolved(head, target, undefined, 400, head.error);
    // TRACE echoes the request, cookies and credentials included, back to whoever sent
    // it (cross-site tracing); nginx refuses it too.
    if (req.method === 'TRACE') return new Resolved(head, target, undefined, 405, 'TRACE is not supported');
    if (path instanceof TargetError) return new Resolved(head, target, undefined, 400, path.reason);
    if (head.host === undefined && req.httpVersion === '1.1') {
      return new Resolved(head, path, undefined, 400, 'missing Host header'); // RFC 9112 §3.2
    }
    const router = this.#state.router;
    const upstream = router.match(router.usesHost ? hostName(head.host) : '', path);
    if (upstream === undefined) return new Resolved(head, path, undefined, 404, 'no route matches this request');
    return new Resolved(head, path, upstream, 0, '');
  }

  /** The node:http 'request' listener. Bound, so it can be passed around. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Node parses pipelined requests ahead and hands them over even when an earlier one on
    // the connection was answered with Connection: close. Never serve those: the client
    // will not get the answers, and a smuggled request must not reach a server.
    if ((req.socket as Condemnable | null)?.[kCondemned] === true) return void res.destroy();
    const start = performance.now();
    this.inFlight++;
    if (this.closesConnection(req)) res.shouldKeepAlive = false;
    const r = this.resolve(req);
    const id = r.head.requestId;
    const upstream = r.upstream;
    // Only a 404 keeps the connection: the rest (400, 405, 431, 501, 505) are malformed or refused
    // heads, maybe smuggling attempts, whose bodies were not read.
    if (upstream === undefined) return this.#local(req, res, start, id, r.status, r.detail, undefined, r.status !== 404);

    const max = this.#state.config.front.max_body_size;
    let body: Readable | null = null;
    // From the raw head (already walked): req.headers would build a header object per request.
    const cl = r.head.contentLength;
    if (cl !== undefined) {
      if (Number(cl) > max) return this.#local(req, res, start, id, 413, bodyTooLarge(max).message, upstream.name, true);
      if (cl !== '0') body = req;
    } else if (r.head.chunked) body = req;
    let buffer: BodyBufferSettings | undefined;
    if (body !== null) {
      const state = this.#state;
      // Whole bodies are read before a server is picked (a slow upload holds no server's
      // connection); without that, small ones still are when retries are on, to replay them.
      if (state.config.front.buffer_requests) buffer = state.requestBuffering;
      else if (cl !== undefined && upstream.retry !== undefined && Number(cl) <= upstream.retry.bufferLimit) buffer = state.retryBuffering;
      else if (cl === undefined) body = req.pipe(new BodyLimit(max));
    }

    const buffering = this.#state.buffering;
    const init = { req, res, requestId: id, upstream, ctx: new RequestContext(req, r.path), path: r.path, headers: r.head.headers, body, start, buffering };
    const ex = new Exchange(init, this, this.#exchangeDone);
    if (buffer !== undefined) ex.bufferThenRun(buffer);
    else ex.run();
  };

  /**
   * The node:http 'upgrade' listener. Bound. Only WebSocket is tunnelled (see upgrade.ts);
   * any other Upgrade (h2c, TLS/1.0...) is ignored, as RFC 9110 §7.8 allows: the request is
   * served as an ordinary one and its connection closed after the response. Tunnelling
   * h2c would hand the client a raw HTTP/2 connection to the server, past every route.
   */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    // Node emits 'upgrade' as soon as the head is parsed, even while the response to an
    // earlier pipelined request on this connection is still going out: wait for it, or
    // our bytes would land in the middle of it.
    const earlier = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (earlier) {
      const go = (): void => {
        earlier.off('close', go);
        earlier.off('finish', go);
        if (earlier.writableFinished && !socket.destroyed) this.upgrade(req, socket, head);
        else socket.destroy();
      };
      earlier.once('finish', go);
      earlier.once('close', go);
      return;
    }
    // Node hands an upgrade's body bytes over as `head`, with the connection: neither path
    // below can frame them, and a WebSocket handshake has none (RFC 6455 §4.1).
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return this.#refuse(req, socket, 400, 'upgrade request with a body');
    if (!isWebSocketUpgrade(req)) return this.#plain(req, socket);
    const start = performance.now();
    this.inFlight++;
    const r = this.resolve(req);
    const id = r.head.requestId;
    const done = (status: number, upstream: string | undefined, server: string | undefined, error: string, detail = ''): void =>
      this.record(req, start, id, status, upstream, server, error, detail);
    if (r.upstream === undefined) return rejectUpgrade(socket, r.status, id, done, undefined, '', r.detail);
    const server = r.upstream.pick(new RequestContext(req, r.path));
    if (server === undefined) {
      return rejectUpgrade(socket, 503, id, (s, u, sv, e) => done(s, u, sv, e, r.upstream!.unavailableDetail()), r.upstream.name, ErrorCodes.NO_SERVER);
    }
    const t = r.upstream.config.timeouts;
    tunnel({ method: req.method!, requestId: id, socket, head, path: r.path, headers: r.head.headers, protocol: 'websocket', server, connectTimeout: t.connect, responseTimeout: t.response, tunnels: this.tunnels, done });
  };

  /**
   * The node:http 'connect' listener. Bound. bulwark is a reverse proxy, not a forward one:
   * CONNECT (RFC 9110 §9.3.6) would open a raw tunnel past every route, so it gets 405.
   */
  readonly connect = (req: IncomingMessage, socket: Duplex): void => this.#refuse(req, socket, 405, 'CONNECT is not supported', `allow: ${ALLOWED_METHODS}\r\n`);

  /** Answers a request Node has handed over with its raw connection, and closes it. */
  #refuse(req: IncomingMessage, socket: Duplex, status: number, clientDetail: string, extraHead = ''): void {
    const start = performance.now();
    this.inFlight++;
    const id = this.#newId();
    const done = (s: number): void => this.record(req, start, id, s, undefined, undefined, '', clientDetail);
    rejectUpgrade(socket, status, id, done, undefined, '', clientDetail, extraHead);
  }

  /**
   * Serves a request (without a body) whose Upgrade bulwark ignores: Node has detached the
   * connection from its HTTP parser, so the response is written on it directly and the
   * connection closed after it (what the client sent after the head is discarded with it).
   */
  #plain(req: IncomingMessage, socket: Duplex): void {
    const res = new ProxyResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    this.handle(req, res);
  }

  /** Answers the request from bulwark itself (no upstream exchange). */
  #local(req: IncomingMessage, res: ServerResponse, start: number, id: string, status: number, detail: string, upstream: string | undefined, close = false): void {
    if (close && req.socket !== null) (req.socket as Condemnable)[kCondemned] = true;
    sendError(res, status, id, detail, close);
    this.record(req, start, id, status, upstream, undefined, '', detail);
  }

  /** Ends one request's accounting (exactly once per request) and emits its access record. */
  record(req: IncomingMessage, start: number, id: string, status: number, upstream: string | undefined, server: string | undefined, error: string, detail = ''): void {
    this.inFlight--;
    const sink = this.onAccess;
    if (sink === undefined) return;
    const now = performance.now();
    sink({
      time: Math.round(performance.timeOrigin + start),
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      upstream,
      server,
      duration_ms: Math.round((now - start) * 1000) / 1000,
      request_id: id,
      error,
      detail,
    });
  }

  /** Closes every upstream pool (in-flight requests complete first). */
  async close(): Promise<void> {
    await Promise.all([...this.#state.upstreams.values()].map((u) => u.close()));
  }
}
