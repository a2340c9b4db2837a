/**
 * @module cli/check
 * `bulwark check`: a Nagios plugin. Parses the flags, runs runtime/check.ts, prints one
 * line (or, with --format json, one flat object for Zabbix) on stdout, where Nagios reads
 * it. A usage error is UNKNOWN (exit 3) too, as the Nagios plugin API asks.
 */
import { parseArgs } from 'node:util';
import { CHECK_EXIT, jsonOutput, nagiosOutput, unknownResult, type CheckResult } from '../admin/check.js';
import type { RateThresholds } from '../admin/error-rate.js';
import { runCheck } from '../runtime/check.js';
import { COMMAND_HELP, renderHelp } from './help.js';

/** Nagios plugins answer within 10 s unless told otherwise (-t). */
const DEFAULT_TIMEOUT_S = 10;
/** --max-error-rate's window: long enough to see traffic, short beside the plugin's timeout. */
const DEFAULT_INTERVAL_S = 1;

function count(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${flag} "${v}": must be a whole number of servers (0 or more)`);
  return Number(v);
}

function seconds(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n <= 0) throw new Error(`${flag} "${v}": must be a number of seconds above 0`);
  return n;
}

/** --max-error-rate W[,C]: percentages (a trailing % allowed), WARNING above W, CRITICAL above C. */
function rateLimits(v: string | undefined): RateThresholds | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim().replace(/%$/, ''));
  if (parts.length > 2 || !parts.every((p) => /^\d+(\.\d+)?$/.test(p) && Number(p) <= 100)) {
    throw new Error(`--max-error-rate "${v}": must be W or W,C, percentages from 0 to 100 (e.g. 5 or 5,20)`);
  }
  const [warn, crit] = parts.map(Number) as [number, number | undefined];
  if (crit !== undefined && crit < warn) throw new Error(`--max-error-rate "${v}": CRITICAL ${crit}% is below WARNING ${warn}%`);
  return { warn, crit };
}

function print(r: CheckResult, json: boolean): number {
  process.stdout.write(`${json ? JSON.stringify(jsonOutput(r)) : nagiosOutput(r)}\n`);
  // Zabbix's agent reads the state from the object; a non-zero exit would make it drop the value.
  return json ? 0 : CHECK_EXIT[r.state];
}

/** Runs `bulwark check ARGV...`; resolves with the exit status. */
export async function checkCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let json = argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'conf/bulwark.yaml' },
        admin: { type: 'string' },
        upstream: { type: 'string', short: 'u' },
        warn: { type: 'string', short: 'w' },
        crit: { type: 'string' },
        'max-error-rate': { type: 'string' },
        interval: { type: 'string' },
        timeout: { type: 'string', short: 't' },
        format: { type: 'string', default: 'nagios' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      process.stdout.write(renderHelp(COMMAND_HELP.check));
      return 0;
    }
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
    if (values.format !== 'nagios' && values.format !== 'json') throw new Error(`--format "${values.format}": must be nagios or json`);
    json = values.format === 'json';
    const warn = count('--warn', values.warn);
    const crit = count('--crit', values.crit);
    if (warn !== undefined && crit !== undefined && crit > warn) throw new Error(`--crit ${crit} is above --warn ${warn}: CRITICAL must take fewer servers than WARNING`);
    const timeoutMs = seconds('--timeout', values.timeout, DEFAULT_TIMEOUT_S) * 1000;
    const maxErrorRate = rateLimits(values['max-error-rate']);
    const intervalMs = seconds('--interval', values.interval, DEFAULT_INTERVAL_S) * 1000;
    // The two reads and the wait between them must fit in the time Nagios gives the plugin.
    if (maxErrorRate !== undefined && intervalMs >= timeoutMs) throw new Error(`--interval ${intervalMs / 1000} is not below --timeout ${timeoutMs / 1000}`);
    const r = await runCheck({ configFile: values.config, admin: values.admin, env, upstream: values.upstream, warn, crit, maxErrorRate, intervalMs, timeoutMs });
    return print(r, json);
  } catch (err) {
    return print(unknownResult(`bad usage: ${(err as Error).message} (bulwark check --help)`), json);
  }
}
