/**
 * @module admin/check
 * What `bulwark check` makes of a /status document: a state per upstream from how many of
 * its servers are available, the worst of them, and the output of a Nagios plugin (one
 * status line with performance data, Nagios Plugin Development Guidelines §2) or a flat
 * JSON object for Zabbix. With --max-error-rate, also the error rate over a window between
 * two /status reads (admin/error-rate.ts). Pure: no I/O, so every state is unit-tested on
 * plain objects.
 */
import { errorRate, hasCounters, percentText, rateLevel, type ErrorRate, type RateThresholds } from './error-rate.js';

export type CheckState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** The Nagios plugin API's exit codes. */
export const CHECK_EXIT: Readonly<Record<CheckState, 0 | 1 | 2 | 3>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Which upstream to check and the thresholds: a state is reached at N or fewer servers available. */
export interface CheckOptions {
  /** Only this upstream; every upstream when undefined. */
  readonly upstream?: string;
  /** WARNING at this many or fewer available (default: total - 1, i.e. any server out). */
  readonly warn?: number;
  /** CRITICAL at this many or fewer available (default: 0, i.e. none left). */
  readonly crit?: number;
  /** --max-error-rate: percent thresholds for the error rate between the two reads. */
  readonly maxErrorRate?: RateThresholds;
  /** The time between the two reads, ms (named in the message). */
  readonly intervalMs?: number;
}

export interface UpstreamCheck {
  readonly name: string;
  readonly available: number;
  readonly total: number;
  readonly warn: number;
  readonly crit: number;
  readonly state: CheckState;
  /** The servers not available, each with its flags (e.g. "b: draining"). */
  readonly out: readonly string[];
  /** With --max-error-rate: the errors and requests between the two reads, and the thresholds. */
  readonly errorRate?: ErrorRate & RateThresholds;
}

export interface CheckResult {
  readonly state: CheckState;
  readonly message: string;
  readonly upstreams: readonly UpstreamCheck[];
}

/** A result that says only why nothing could be checked. */
export function unknownResult(message: string): CheckResult {
  return { state: 'UNKNOWN', message, upstreams: [] };
}

interface ServerEntry {
  readonly name: string;
  readonly available: boolean;
  readonly flags?: readonly string[];
}
interface UpstreamEntry {
  readonly name: string;
  readonly servers: readonly ServerEntry[];
}

function isUpstream(u: unknown): u is UpstreamEntry {
  if (typeof u !== 'object' || u === null) return false;
  const { name, servers } = u as { name?: unknown; servers?: unknown };
  return typeof name === 'string' && Array.isArray(servers) && servers.every((s) => typeof s === 'object' && s !== null && typeof (s as ServerEntry).available === 'boolean');
}

const RANK: Readonly<Record<CheckState, number>> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };
const LEVEL: readonly CheckState[] = ['OK', 'WARNING', 'CRITICAL'];
const worse = (a: CheckState, b: CheckState): CheckState => (RANK[b] > RANK[a] ? b : a);

/** `before` is the same upstream in the first read (absent when a reload added it in between). */
function checkUpstream(u: UpstreamEntry, o: CheckOptions, before: UpstreamEntry | undefined): UpstreamCheck {
  const total = u.servers.length;
  const available = u.servers.filter((s) => s.available).length;
  const warn = o.warn ?? Math.max(total - 1, 0);
  const crit = o.crit ?? 0;
  let state: CheckState = available <= crit ? 'CRITICAL' : available <= warn ? 'WARNING' : 'OK';
  const out = u.servers.filter((s) => !s.available).map((s) => `${s.name}: ${s.flags?.length ? s.flags.join(', ') : 'unavailable'}`);
  if (o.maxErrorRate === undefined || !hasCounters(u.servers)) return { name: u.name, available, total, warn, crit, state, out };
  const rate = errorRate(before !== undefined && hasCounters(before.servers) ? before.servers : [], u.servers);
  state = worse(state, LEVEL[rateLevel(rate, o.maxErrorRate)]!);
  return { name: u.name, available, total, warn, crit, state, out, errorRate: { ...rate, ...o.maxErrorRate } };
}

function describe(c: UpstreamCheck, intervalMs: number): string {
  const head = `${c.name}: ${c.available}/${c.total} servers available`;
  const line = c.out.length === 0 ? head : `${head} (${c.out.join('; ')})`;
  const r = c.errorRate;
  return r === undefined ? line : `${line}, error rate ${percentText(r.percent)}% (${r.errors} of ${r.requests} requests in ${intervalMs / 1000} s)`;
}

function upstreamList(doc: unknown): UpstreamEntry[] | undefined {
  const list = typeof doc === 'object' && doc !== null ? (doc as { upstreams?: unknown }).upstreams : undefined;
  return Array.isArray(list) && list.every(isUpstream) ? list : undefined;
}

const NOT_STATUS = 'the admin API answered /status without an upstreams list: is this a bulwark admin listener?';

/**
 * The check of a /status document (as parsed from JSON); UNKNOWN when it is not one or lacks
 * the upstream. With --max-error-rate, `before` is the read `intervalMs` earlier.
 */
export function evaluateStatus(doc: unknown, o: CheckOptions, before?: unknown): CheckResult {
  const list = upstreamList(doc);
  if (list === undefined) return unknownResult(NOT_STATUS);
  const chosen = o.upstream === undefined ? list : list.filter((u) => u.name === o.upstream);
  if (chosen.length === 0) {
    const names = list.map((u) => u.name).join(', ');
    return unknownResult(o.upstream === undefined ? 'bulwark has no upstreams' : `no upstream "${o.upstream}" (upstreams: ${names || 'none'})`);
  }
  const earlier = o.maxErrorRate === undefined ? [] : upstreamList(before);
  if (earlier === undefined) return unknownResult(NOT_STATUS);
  if (o.maxErrorRate !== undefined && !chosen.every((u) => hasCounters(u.servers))) {
    return unknownResult('the admin API lists no requests and errors counters per server in /status (a bulwark too old for --max-error-rate?)');
  }
  const upstreams = chosen.map((u) => checkUpstream(u, o, earlier.find((e) => e.name === u.name)));
  const state = upstreams.reduce<CheckState>((worst, c) => worse(worst, c.state), 'OK');
  // The upstreams in the worst state come first: a status line may be cut short by the UI.
  const ordered = [...upstreams].sort((a, b) => RANK[b.state] - RANK[a.state]);
  return { state, message: ordered.map((c) => describe(c, o.intervalMs ?? 0)).join('; '), upstreams };
}

/** A perfdata label: quoted, a quote doubled, '=' (the value separator) replaced. */
function label(name: string): string {
  return `'${name.replaceAll("'", "''").replaceAll('=', '_')}'`;
}

/** With --max-error-rate: `'NAME_error_rate'=value%;warn;crit;0;100` (crit empty when not given). */
function ratePerf(c: UpstreamCheck): string[] {
  const r = c.errorRate;
  return r === undefined ? [] : [`${label(`${c.name}_error_rate`)}=${percentText(r.percent)}%;${r.warn};${r.crit ?? ''};0;100`];
}

/**
 * The plugin's output line: `BULWARK STATE - message | 'NAME_available'=value;warn;crit;min;max ...`,
 * and `'NAME_error_rate'=...` after each upstream's with --max-error-rate.
 */
export function nagiosOutput(r: CheckResult): string {
  const text = r.message.replaceAll('|', '/'); // '|' starts the perfdata
  const perf = r.upstreams.flatMap((c) => [`${label(`${c.name}_available`)}=${c.available};${c.warn};${c.crit};0;${c.total}`, ...ratePerf(c)]);
  return `BULWARK ${r.state} - ${text}${perf.length > 0 ? ` | ${perf.join(' ')}` : ''}`;
}

/**
 * One flat object for Zabbix JSONPath items: status, exit, message, then NAME_available,
 * NAME_total, NAME_status, and with --max-error-rate NAME_error_rate (percent), NAME_errors and
 * NAME_requests (within the window).
 */
export function jsonOutput(r: CheckResult): Record<string, string | number> {
  const out: Record<string, string | number> = { status: r.state, exit: CHECK_EXIT[r.state], message: r.message };
  for (const c of r.upstreams) {
    out[`${c.name}_available`] = c.available;
    out[`${c.name}_total`] = c.total;
    out[`${c.name}_status`] = c.state;
    if (c.errorRate === undefined) continue;
    out[`${c.name}_error_rate`] = Number(percentText(c.errorRate.percent));
    out[`${c.name}_errors`] = c.errorRate.errors;
    out[`${c.name}_requests`] = c.errorRate.requests;
  }
  return out;
}
