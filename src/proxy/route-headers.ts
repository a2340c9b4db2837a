/**
 * @module proxy/route-headers
 * A route's header rules (`headers:`), compiled once per config and applied to one side
 * of an exchange: fields under `remove` are dropped, and each field under `set` replaces
 * every field of that name the message had, with `${client_ip}` and `${request_id}`
 * expanded. The config validator guarantees names are tokens, values are one-line field
 * values, and no hop-by-hop or framing field is touched (config/validate-route-headers).
 */
import type { HeaderEdits, HeaderVariable } from '../core/config-route.js';

/** The values a header rule's variables stand for in one request. */
export interface HeaderVars {
  readonly clientIp: string;
  readonly requestId: string;
}

/** A value as literal text and variables in turn: `["a", "client_ip", "b"]` (odd indexes are variables). */
type Template = readonly string[];

function compile(value: string): Template {
  return value.split(/\$\{([a-z_]+)\}/);
}

function expand(t: Template, vars: HeaderVars): string {
  if (t.length === 1) return t[0]!;
  let out = '';
  for (let i = 0; i < t.length; i++) {
    if (i % 2 === 0) out += t[i];
    else out += (t[i] as HeaderVariable) === 'client_ip' ? vars.clientIp : vars.requestId;
  }
  return out;
}

export class HeaderRules {
  /** Lower-case names dropped from the message: removed ones, and set ones (replaced). */
  readonly #drop: ReadonlySet<string>;
  readonly #set: ReadonlyArray<readonly [string, Template]>;

  constructor(edits: HeaderEdits) {
    this.#set = Object.entries(edits.set).map(([name, value]) => [name, compile(value)] as const);
    this.#drop = new Set([...edits.remove, ...Object.keys(edits.set)]);
  }

  /** Edits a flat [name, value, ...] list in place (names in any case). */
  apply(flat: string[], vars: HeaderVars): void {
    let w = 0;
    for (let i = 0; i < flat.length; i += 2) {
      if (this.#drop.has(flat[i]!.toLowerCase())) continue;
      flat[w++] = flat[i]!;
      flat[w++] = flat[i + 1]!;
    }
    flat.length = w;
    for (const [name, t] of this.#set) flat.push(name, expand(t, vars));
  }
}

/** The rules of one side; undefined when that side edits nothing. */
export function headerRules(edits: HeaderEdits | undefined): HeaderRules | undefined {
  return edits === undefined || (edits.remove.length === 0 && Object.keys(edits.set).length === 0) ? undefined : new HeaderRules(edits);
}
