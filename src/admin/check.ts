/**
 * @module admin/check
 * What `bulwark check` makes of a /status document: a state per upstream from how many of
 * its servers are available, the worst of them, and the output of a Nagios plugin (one
 * status line with performance data, Nagios Plugin Development Guidelines §2) or a flat
 * JSON object for Zabbix. Pure: no I/O, so every state is unit-tested on plain objects.
 */

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

function checkUpstream(u: UpstreamEntry, o: CheckOptions): UpstreamCheck {
  const total = u.servers.length;
  const available = u.servers.filter((s) => s.available).length;
  const warn = o.warn ?? Math.max(total - 1, 0);
  const crit = o.crit ?? 0;
  const state: CheckState = available <= crit ? 'CRITICAL' : available <= warn ? 'WARNING' : 'OK';
  const out = u.servers.filter((s) => !s.available).map((s) => `${s.name}: ${s.flags?.length ? s.flags.join(', ') : 'unavailable'}`);
  return { name: u.name, available, total, warn, crit, state, out };
}

function describe(c: UpstreamCheck): string {
  const head = `${c.name}: ${c.available}/${c.total} servers available`;
  return c.out.length === 0 ? head : `${head} (${c.out.join('; ')})`;
}

/** The check of a /status document (as parsed from JSON); UNKNOWN when it is not one or lacks the upstream. */
export function evaluateStatus(doc: unknown, o: CheckOptions): CheckResult {
  const list = typeof doc === 'object' && doc !== null ? (doc as { upstreams?: unknown }).upstreams : undefined;
  if (!Array.isArray(list) || !list.every(isUpstream)) return unknownResult('the admin API answered /status without an upstreams list: is this a bulwark admin listener?');
  const chosen = o.upstream === undefined ? list : list.filter((u) => u.name === o.upstream);
  if (chosen.length === 0) {
    const names = list.map((u) => u.name).join(', ');
    return unknownResult(o.upstream === undefined ? 'bulwark has no upstreams' : `no upstream "${o.upstream}" (upstreams: ${names || 'none'})`);
  }
  const upstreams = chosen.map((u) => checkUpstream(u, o));
  const state = upstreams.reduce<CheckState>((worst, c) => (RANK[c.state] > RANK[worst] ? c.state : worst), 'OK');
  // The upstreams in the worst state come first: a status line may be cut short by the UI.
  const ordered = [...upstreams].sort((a, b) => RANK[b.state] - RANK[a.state]);
  return { state, message: ordered.map(describe).join('; '), upstreams };
}

/** A perfdata label: quoted, a quote doubled, '=' (the value separator) replaced. */
function label(name: string): string {
  return `'${name.replaceAll("'", "''").replaceAll('=', '_')}'`;
}

/** The plugin's output line: `BULWARK STATE - message | 'NAME_available'=value;warn;crit;min;max ...`. */
export function nagiosOutput(r: CheckResult): string {
  const text = r.message.replaceAll('|', '/'); // '|' starts the perfdata
  const perf = r.upstreams.map((c) => `${label(`${c.name}_available`)}=${c.available};${c.warn};${c.crit};0;${c.total}`);
  return `BULWARK ${r.state} - ${text}${perf.length > 0 ? ` | ${perf.join(' ')}` : ''}`;
}

/** One flat object for Zabbix JSONPath items: status, exit, message, then NAME_available, NAME_total, NAME_status. */
export function jsonOutput(r: CheckResult): Record<string, string | number> {
  const out: Record<string, string | number> = { status: r.state, exit: CHECK_EXIT[r.state], message: r.message };
  for (const c of r.upstreams) {
    out[`${c.name}_available`] = c.available;
    out[`${c.name}_total`] = c.total;
    out[`${c.name}_status`] = c.state;
  }
  return out;
}
