/**
 * @module config/validate-route-headers
 * A route's `headers:` block: fields set and removed on the request (before it goes
 * upstream) and on the response (before it goes to the client). Names must be RFC 9110
 * tokens and values RFC 9110 §5.5 field values on one line; a value may use
 * `${client_ip}` and `${request_id}`, and any other `${...}` is an error, so a typo never
 * reaches a server as literal text. Fields that belong to the connection or to bulwark
 * itself cannot be touched (REFUSED below says why for each).
 */
import { HEADER_VARIABLES, type HeaderEdits, type RouteHeaders } from '../core/config-route.js';
import { didYouMean } from './suggest.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Parse } from './validate-context.js';
import { fieldName, text } from './validate-values.js';

const SIDES = ['request', 'response'] as const;
const EDIT_KEYS = ['set', 'remove'] as const;

const HOP = 'is a hop-by-hop field (RFC 9110 §7.6.1): it describes one connection and never crosses bulwark';
/** Why a field may not be set or removed, on either side. */
const REFUSED: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'http2-settings'].map((n) => [n, HOP])),
  'content-length': "frames the message body: it is the sender's to set, never a route's",
  expect: 'is answered by bulwark itself (RFC 9110 §10.1.1) and never forwarded',
  'x-request-id': "is bulwark's request id (kept from the client or made) and is what the logs are joined on",
};
/** Why a field may not be set or removed on the request only. */
const REFUSED_REQUEST: Readonly<Record<string, string>> = {
  host: "is what routes match and what the upstream's virtual hosts read; match on it instead of rewriting it",
};

const headerName = fieldName('header', 'header name ');
const VARIABLES = HEADER_VARIABLES.map((v) => `\${${v}}`).join(', ');

/** Checks a value's `${...}` variables; the rule broken, or undefined. */
function variableProblem(value: string): string | undefined {
  for (let at = value.indexOf('${'); at !== -1; at = value.indexOf('${', at + 2)) {
    const end = value.indexOf('}', at);
    if (end === -1) return `unterminated "\${": write a variable as one of ${VARIABLES}`;
    const name = value.slice(at + 2, end);
    if (!(HEADER_VARIABLES as readonly string[]).includes(name)) return `unknown variable "\${${name}}"; known: ${VARIABLES}${didYouMean(name, HEADER_VARIABLES)}`;
  }
  return undefined;
}

/** A field value (RFC 9110 §5.5): visible ASCII, spaces and tabs inside, on one line. */
const headerValue: Parse<string> = (value) => {
  const t = text(value);
  if (t instanceof Invalid) return t;
  if (!/^[\t\x20-\x7e]*$/.test(t)) return new Invalid('must be printable ASCII on one line (no CR, LF or other control characters; RFC 9110 §5.5)');
  if (/^[\t ]|[\t ]$/.test(t)) return new Invalid('must not start or end with a space or tab (RFC 9110 §5.5)');
  const problem = variableProblem(t);
  return problem === undefined ? t : new Invalid(problem);
};

/** A field name a route may touch on `side`. */
function editable(side: (typeof SIDES)[number]): Parse<string> {
  return (value) => {
    const n = headerName(value);
    if (n instanceof Invalid) return n;
    const why = REFUSED[n] ?? (side === 'request' ? REFUSED_REQUEST[n] : undefined);
    return why === undefined ? n : new Invalid(`"${n}" cannot be set or removed: it ${why}`);
  };
}

function readEdits(checker: Checker, headers: Block, side: (typeof SIDES)[number]): HeaderEdits {
  const b = headers.child(side, EDIT_KEYS);
  const name = editable(side);
  const set: Record<string, string> = {};
  const setEntry = b.get('set');
  const setBlock = setEntry && checker.block(setEntry.value, setEntry.path);
  for (const e of setBlock?.all() ?? []) {
    const n = checker.value(e.key, e.path, name);
    const v = checker.value(e.value, e.path, headerValue);
    if (n === undefined || v === undefined) continue;
    if (n in set) checker.report(e.key, e.path, `sets "${n}" twice (header names ignore case)`);
    set[n] = v;
  }
  const remove: string[] = [];
  const removeEntry = b.get('remove');
  for (const item of removeEntry ? checker.list(removeEntry.value, removeEntry.path, 'header name') : []) {
    const n = checker.value(item.node, item.path, name);
    if (n === undefined) continue;
    if (n in set) checker.report(item.node, item.path, `"${n}" is also under ${b.path}.set, which already replaces it`);
    else remove.push(n);
  }
  return { set, remove };
}

/** The route's `headers:` block; undefined when absent or empty. */
export function readRouteHeaders(checker: Checker, r: Block): RouteHeaders | undefined {
  const h = r.feature('headers', SIDES);
  if (h === undefined) return undefined;
  const request = readEdits(checker, h, 'request');
  const response = readEdits(checker, h, 'response');
  const empty = (e: HeaderEdits): boolean => e.remove.length === 0 && Object.keys(e.set).length === 0;
  return empty(request) && empty(response) ? undefined : { request, response };
}
