/**
 * @module proxy/response-writer
 * Writes a forwarded response to the client: the head, then the body with backpressure.
 * A client that keeps up gets every chunk as it arrives; once it falls behind, the rest
 * goes through a Spool (spool.ts), so the server's connection is not held by a slow
 * reader. RFC 9110 §6.4.1: 204, 304 and answers to HEAD have no body, whatever the server
 * sends after the head (those bytes are not this response's: undici fails the connection
 * on them, and it is never reused); the client gets the complete response at once.
 */
import { STATUS_CODES, ServerResponse } from 'node:http';
import { dropRepeatedSingles, isH2 } from './h2-head.js';
import { dropFields, forwardTrailers } from './headers.js';
import { Spool, type BufferingSettings, type SpoolEvents } from './spool.js';

/** What a response's shared listeners call on the exchange that owns it. */
export interface ResponseOwner {
  /** The client response drained. */
  resume(): void;
  /** The client went away before the response finished. */
  abortFromClient(): void;
}

/**
 * The front servers' response class (http.createServer's `ServerResponse` option): it
 * carries its owner as a plain field, so the shared 'close' and 'drain' listeners find
 * it with an ordinary property load, not a symbol key added to every response.
 */
export class ProxyResponse extends ServerResponse {
  exchange: ResponseOwner | undefined = undefined;
}

/** Bodies up to this size are written as text with their head (see data). */
const SMALL_BODY = 4096;

export class ResponseWriter {
  readonly #res: ServerResponse;
  readonly #buffering: BufferingSettings;
  readonly #events: SpoolEvents;
  /** The response's declared Content-Length until its first body chunk; -1 when unknown or past it. */
  #declared = -1;
  /** Made when the client first falls behind; from then on every body chunk goes through it. */
  #spool: Spool | undefined;
  /** The response has no body (204, 304, HEAD) and was ended with its head. */
  #noBody = false;

  /** Makes `owner` the response's owner: the shared 'close' (and, with a spool, 'drain') listeners call it. */
  constructor(res: ServerResponse, buffering: BufferingSettings, owner: SpoolEvents & ResponseOwner) {
    this.#res = res;
    this.#buffering = buffering;
    this.#events = owner;
    (res as ProxyResponse).exchange = owner;
    res.on('close', onClose);
  }

  /**
   * Writes the head. `fields` is the forwarded head (flat, lower-case names) and may be
   * changed. `headRequest`: the request was HEAD.
   */
  head(status: number, fields: string[], statusMessage: string, headRequest: boolean): void {
    const noBody = status === 204 || status === 304 || headRequest;
    if (status === 204) dropFields(fields, isContentLength); // RFC 9110 §8.6: not in a 204
    this.#declared = noBody ? -1 : declaredLength(fields);
    // A custom reason phrase is kept; the standard one is what Node writes anyway (without
    // checking it again).
    // HTTP/2 has no reason phrase (RFC 9113 §8.3.2).
    const h2 = isH2(this.#res.req);
    if (h2) dropRepeatedSingles(fields);
    if (statusMessage && statusMessage !== STATUS_CODES[status] && !h2) this.#res.writeHead(status, statusMessage, fields);
    else this.#res.writeHead(status, fields);
    if (noBody) {
      this.#noBody = true;
      this.#res.end();
    }
  }

  /** Writes a body chunk. Returns false to pause the server until the spool has room (SpoolEvents.onRoom). */
  data(chunk: Buffer): boolean {
    if (this.#noBody) return true;
    const res = this.#res;
    // The whole declared body in its first chunk (most small responses): send it with the
    // end of the response, one write without Node's cork-until-next-tick. Only a complete
    // body takes this path, so nothing can still fail after it.
    if (chunk.length === this.#declared) {
      // A small body goes as latin1 text (byte for byte the same): Node then joins it to the
      // head and makes one plain string write, where a Buffer costs a vectored write of
      // head and body (about 2% of the CPU per request, measured side by side: see
      // benchmarks/README.md, "Comparing two builds").
      if (chunk.length <= SMALL_BODY) res.end(chunk.toString('latin1'), 'latin1');
      else res.end(chunk);
      return true;
    }
    this.#declared = -1;
    if (this.#spool !== undefined) return this.#spool.write(chunk);
    if (res.write(chunk)) return true;
    // The client fell behind: buffer the rest. The 'drain' listener goes on with the
    // spool, at the first backpressure: most responses never need either.
    res.on('drain', onDrain);
    this.#spool = new Spool(res, this.#buffering, this.#events);
    return true;
  }

  /**
   * The server's trailer section (RFC 9110 §6.5), sent after the body: to an HTTP/2 client
   * in a trailing HEADERS frame, to an HTTP/1.1 one in the last chunk (an upstream sends
   * trailers only with a chunked body, so its response is chunked too).
   */
  trailers(raw: ReadonlyArray<Buffer | string>): void {
    const fields = forwardTrailers(raw);
    if (fields !== undefined) this.#res.addTrailers(fields);
  }

  /**
   * The server sent the whole body. Returns true when the response is complete; false when
   * a slow client is still fed from the spool (SpoolEvents.onFlushed follows).
   */
  end(): boolean {
    if (this.#spool !== undefined && !this.#spool.empty) {
      this.#spool.end();
      return false;
    }
    if (!this.#res.writableEnded) this.#res.end();
    return true;
  }

  /** The client response drained (the listener exists only with a spool). */
  drained(): void {
    this.#spool!.drained();
  }

  /** Drops the spool, if any (the exchange is over). */
  close(): void {
    this.#spool?.destroy();
  }
}

/** The Content-Length of a forwarded head (flat, lower-case names); -1 when absent or not one plain number. */
function declaredLength(head: readonly string[]): number {
  for (let i = 0; i < head.length; i += 2) {
    if (head[i] === 'content-length') {
      // Digits only (1 to 15 of them, well inside exact integers), else unknown.
      const v = head[i + 1]!;
      if (v.length === 0 || v.length > 15) return -1;
      let n = 0;
      for (let k = 0; k < v.length; k++) {
        const d = v.charCodeAt(k) - 48;
        if (d < 0 || d > 9) return -1;
        n = n * 10 + d;
      }
      return n;
    }
  }
  return -1;
}

function isContentLength(name: string): boolean {
  return name === 'content-length';
}

function onClose(this: ServerResponse): void {
  // 'close' also follows a normal finish; only an unfinished response means an abort. Node's
  // HTTP/2 compat response emits 'finish' whenever its stream closes, a reset included: one
  // bulwark did not end itself (writableEnded) is unfinished too.
  if (!this.writableFinished || !this.writableEnded) (this as ProxyResponse).exchange!.abortFromClient();
}

function onDrain(this: ServerResponse): void {
  (this as ProxyResponse).exchange!.resume();
}
