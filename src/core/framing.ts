/**
 * @module core/framing
 * The request framing rules both listeners enforce (proxy and admin), in one place: where
 * Node's parser reads a request one way and a server or proxy in front may read it
 * another, the request is refused (and its connection closed by the caller).
 * - RFC 9112 §2.3: only HTTP/1.x is spoken here (HTTP/2 needs a TLS listener's ALPN): 505.
 * - RFC 9112 §6.1: Transfer-Encoding on an HTTP/1.0 request is faulty framing: 400.
 * - RFC 9112 §6.1: a transfer coding not implemented gets 501. Only `chunked` is: passing
 *   `gzip, chunked` on as chunked alone would silently drop the gzip coding, and `chunked,
 *   chunked` is not valid framing at all.
 */

export interface FramingProblem {
  readonly status: 400 | 501 | 505;
  readonly message: string;
}

/**
 * Why a request's version or framing cannot be trusted, or undefined.
 * @param transferEncoding every Transfer-Encoding value of the request, joined with ", "
 *   (undefined when it has none).
 */
export function framingProblem(major: number, minor: number, transferEncoding: string | undefined): FramingProblem | undefined {
  if (major !== 1) return { status: 505, message: `HTTP/${major}.${minor} is not supported; use HTTP/1.1` };
  if (transferEncoding === undefined) return undefined;
  if (minor === 0) return { status: 400, message: 'Transfer-Encoding in an HTTP/1.0 request' };
  const codings = transferEncoding.split(',');
  if (codings.length !== 1 || codings[0]!.trim().toLowerCase() !== 'chunked') {
    return { status: 501, message: `Transfer-Encoding ${JSON.stringify(transferEncoding)}: only chunked is implemented` };
  }
  return undefined;
}
