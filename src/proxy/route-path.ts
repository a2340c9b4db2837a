/**
 * @module proxy/route-path
 * A route's path rewriting (`strip_prefix`, then `add_prefix`), applied to the target after
 * target.ts has normalised it (no "//", no dot-segments, no encoded slash), so what is
 * stripped is exactly what was routed on. The query string is kept as it came.
 */

const SLASH = 47;

/** Rewrites a normalised origin-form target ("/path?query") for the upstream. */
export type PathRewrite = (target: string) => string;

/** A written prefix without its trailing "/": "/api/" and "/api" strip and add alike. */
function bare(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * Compiles a route's rewriting; undefined when it has none. The config validator guarantees
 * each prefix starts with "/", is more than "/", and has no empty or dot segment.
 * - strip: only at a segment boundary: "/api" takes "/api" and "/api/x" but never "/apix";
 *   a path stripped to nothing becomes "/".
 * - add: put in front of what is left ("/v2" + "/users"), "/" included ("/v2/").
 */
export function pathRewrite(strip: string | undefined, add: string | undefined): PathRewrite | undefined {
  if (strip === undefined && add === undefined) return undefined;
  const s = strip === undefined ? undefined : bare(strip);
  const a = add === undefined ? '' : bare(add);
  return (target) => {
    let q = target.indexOf('?');
    if (q === -1) q = target.length;
    let path = target.slice(0, q);
    if (s !== undefined && path.startsWith(s) && (path.length === s.length || path.charCodeAt(s.length) === SLASH)) {
      path = path.length === s.length ? '/' : path.slice(s.length);
    }
    return a + path + target.slice(q);
  };
}
