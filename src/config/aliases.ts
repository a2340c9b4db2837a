/**
 * @module config/aliases
 * What other proxies call bulwark's keys and values, so that `validate` can answer a
 * HAProxy, nginx or Envoy habit (`balance: leastconn`, `max_fails`, `location`) with
 * bulwark's own name, which edit distance alone would never find. Names are stored as
 * normalizeAlias() writes them: lower case, "_" for "-", without a leading "$" or a
 * trailing "(…)" (HAProxy's hdr(host), nginx's $remote_addr). A target is a value, or a
 * key by its full path ("*" for any upstream name, "[]" for any list index), which
 * config/suggest offers inside that mapping and, as "key under block", above it: `inter`
 * is "interval" in a health_check and "interval under health_check" in an upstream. A
 * plain name without a dot is offered wherever it is allowed. A note says what else to write.
 */

/** Bulwark's name, or its name and what else to write with it. */
export type Target = string | { readonly to: string; readonly note: string };
type Table = Readonly<Record<string, Target | readonly Target[]>>;

const U = 'upstreams.*';
const CHECK = `${U}.health_check`;
const MATCH = 'routes[].match';
const HASH_IP: Target = { to: 'consistent-hash', note: 'with hash_key: ip' };
const CONNECTIONS = `${U}.circuit_breaker.max_concurrent`;
const QUEUE = `${U}.circuit_breaker.max_pending`;
const RETRY_ON = `${U}.retries.on`;
const ATTEMPTS = `${U}.retries.attempts`;

const HAPROXY: Table = {
  // balance algorithms (scheduler), stick modes, check types and retry-on conditions
  leastconn: 'least-connections',
  roundrobin: { to: 'round-robin', note: 'or weighted, which honours weights as HAProxy does' },
  static_rr: 'weighted',
  source: [HASH_IP, 'ip'],
  uri: [{ to: 'consistent-hash', note: 'with hash_key: path' }, 'path', `${CHECK}.path`],
  hdr: [{ to: 'consistent-hash', note: 'with hash_key: header:NAME' }, 'header', 'header:NAME'],
  insert: 'cookie',
  appsession: 'learn',
  httpchk: ['http', `${CHECK}`],
  tcp_check: 'tcp',
  conn_failure: 'connect-failure',
  empty_response: 'reset',
  response_timeout: 'timeout',
  // keys
  balance: `${U}.scheduler`,
  inter: `${CHECK}.interval`,
  fastinter: `${CHECK}.fast_interval`,
  rise: `${CHECK}.rise`,
  fall: `${CHECK}.fall`,
  check: CHECK,
  expect: `${CHECK}.expect_status`,
  string: `${CHECK}.expect_body`,
  timeout_check: `${CHECK}.timeout`,
  maxconn: CONNECTIONS,
  maxqueue: QUEUE,
  timeout_queue: `${U}.circuit_breaker.pending_timeout`,
  timeout_connect: `${U}.timeouts.connect`,
  timeout_server: `${U}.timeouts.response`,
  timeout_client: 'front.timeouts.request',
  timeout_http_request: 'front.timeouts.headers',
  timeout_http_keep_alive: 'front.timeouts.keep_alive',
  maxhdr: 'front.max_headers',
  abortonclose: 'front.abort_on_close',
  retry_on: RETRY_ON,
  cookie: [`${U}.sticky.name`, `${U}.sticky`],
  expire: `${U}.sticky.ttl`,
  size: `${U}.sticky.max_entries`,
  backend: ['upstreams', 'routes[].upstream'],
  use_backend: 'routes[].upstream',
  frontend: 'listen',
  bind: 'listen',
  stats: 'admin',
  path_beg: `${MATCH}.path_prefix`,
};

const NGINX: Table = {
  // upstream methods, proxy_next_upstream conditions and error_log levels
  least_conn: 'least-connections',
  ip_hash: [HASH_IP, 'ip'],
  hash: [{ to: 'consistent-hash', note: 'with hash_key' }, `${U}.hash_key`],
  remote_addr: 'ip',
  request_uri: 'path',
  error: 'connect-failure',
  http_502: '502',
  http_503: '503',
  http_504: '504',
  warning: 'warn',
  notice: 'info',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  // keys (directives, and server parameters)
  max_fails: `${U}.outlier_detection.consecutive_gateway_failures`,
  fail_timeout: `${U}.outlier_detection.base_ejection_time`,
  max_conns: CONNECTIONS,
  proxy_connect_timeout: `${U}.timeouts.connect`,
  proxy_read_timeout: `${U}.timeouts.response`,
  keepalive_timeout: [`${U}.keep_alive`, 'front.timeouts.keep_alive'],
  proxy_next_upstream: RETRY_ON,
  proxy_next_upstream_tries: ATTEMPTS,
  location: ['routes', `${MATCH}.path_prefix`],
  server_name: `${MATCH}.host`,
  proxy_pass: 'routes[].upstream',
  upstream: 'upstreams',
  client_max_body_size: 'front.max_body_size',
  large_client_header_buffers: 'front.max_header_size',
  client_header_buffer_size: 'front.max_header_size',
  client_header_timeout: 'front.timeouts.headers',
  client_body_timeout: 'front.timeouts.request',
  send_timeout: 'front.timeouts.send',
  proxy_buffering: 'front.buffer_responses',
  proxy_request_buffering: 'front.buffer_requests',
  client_body_buffer_size: 'front.request_buffer_size',
  proxy_buffer_size: 'front.response_buffer_size',
  proxy_max_temp_file_size: 'front.max_temp_file_size',
  proxy_temp_path: 'front.temp_path',
  client_body_temp_path: 'front.temp_path',
  proxy_ignore_client_abort: 'front.abort_on_close',
  expires: `${U}.sticky.ttl`,
};

const ENVOY: Table = {
  least_request: 'p2c',
  ring_hash: 'consistent-hash',
  maglev: 'consistent-hash',
  lb_policy: `${U}.scheduler`,
  max_connections: CONNECTIONS,
  max_requests: CONNECTIONS,
  max_pending_requests: QUEUE,
  num_retries: ATTEMPTS,
  retry_budget: `${U}.retries.budget`,
};

/** Names that are nobody's in particular but a likely first guess. */
const COMMON: Table = {
  path: `${MATCH}.path_prefix`,
  prefix: `${MATCH}.path_prefix`,
  host: [`${MATCH}.host`, `${U}.servers[].url`],
  hostname: [`${MATCH}.host`, `${CHECK}.host`],
  address: `${U}.servers[].url`,
  url: `${CHECK}.path`,
  algorithm: `${U}.scheduler`,
  tries: ATTEMPTS,
  body: `${CHECK}.expect_body`,
  status: `${CHECK}.expect_status`,
  cookie_name: `${U}.sticky.name`,
  timeout: `${U}.sticky.ttl`,
};

const SOURCES: ReadonlyArray<readonly [string, Table]> = [['HAProxy', HAPROXY], ['nginx', NGINX], ['Envoy', ENVOY], ['', COMMON]];

/** The form names are looked up in: "Retry-On" → "retry_on", "hdr(host)" → "hdr", "$remote_addr" → "remote_addr". */
export function normalizeAlias(word: string): string {
  return word.trim().toLowerCase().replace(/^\$/, '').replace(/\(.*\)$/, '').replace(/[-\s]+/g, '_');
}

/** Every reading of `word` in the tables, in order: what it may mean, and whose name it is ('' for none). */
export function aliasesOf(word: string): Array<{ readonly target: Target; readonly from: string }> {
  const name = normalizeAlias(word);
  return SOURCES.flatMap(([from, table]) => {
    const t = Object.hasOwn(table, name) ? table[name] : undefined;
    if (t === undefined) return [];
    return (Array.isArray(t) ? (t as readonly Target[]) : [t as Target]).map((target) => ({ target, from }));
  });
}
