/**
 * @module proxy/router
 * Route matching: by host (exact, or "*.example.com" for any name below example.com) and
 * by path prefix; the first matching route wins, like HAProxy's ordered use_backend rules.
 * Matching is a linear scan over pre-compiled routes: route tables are short, and a scan
 * keeps "first match wins" obvious.
 */
import type { RouteConfig } from '../core/config.js';

interface CompiledRoute<T> {
  readonly exactHost: string | undefined;
  /** For "*.example.com": ".example.com". */
  readonly hostSuffix: string | undefined;
  readonly pathPrefix: string | undefined;
  readonly target: T;
}

export class Router<T> {
  readonly #routes: readonly CompiledRoute<T>[];
  /** Whether any route matches on the host: when none does, callers need not work it out. */
  readonly usesHost: boolean;

  /** @param compile builds a route's target (a RouteRuntime; see route.ts), once per config. */
  constructor(routes: readonly RouteConfig[], compile: (route: RouteConfig) => T) {
    this.#routes = routes.map((r) => {
      const wildcard = r.host !== undefined && r.host.startsWith('*.');
      return {
        exactHost: wildcard ? undefined : r.host,
        hostSuffix: wildcard ? r.host!.slice(1) : undefined,
        pathPrefix: r.path_prefix,
        target: compile(r),
      };
    });
    this.usesHost = routes.some((r) => r.host !== undefined);
  }

  /**
   * @param host the request's host, lower-case, port removed ("" when absent); any value
   *   will do when `usesHost` is false.
   * @param path the request target's path (may include the query string).
   */
  match(host: string, path: string): T | undefined {
    for (const r of this.#routes) {
      if (r.exactHost !== undefined && r.exactHost !== host) continue;
      if (r.hostSuffix !== undefined && !(host.length > r.hostSuffix.length && host.endsWith(r.hostSuffix))) continue;
      if (r.pathPrefix !== undefined && !path.startsWith(r.pathPrefix)) continue;
      return r.target;
    }
    return undefined;
  }
}

/**
 * Lower-cases a Host value and removes its port and a trailing dot: "API.Example.com.:8080"
 * → "api.example.com". The dot makes an absolute DNS name (RFC 1034 §3.1) that origins
 * read as the same host; kept, it would let a client pass a host route's rate_limit and
 * header rules to a catch-all route (no configured host ends with a dot). nginx drops it too.
 */
export function hostName(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    end = host.indexOf(']') + 1;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 1 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return host.slice(0, end).toLowerCase();
}
