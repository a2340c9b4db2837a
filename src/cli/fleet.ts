/**
 * @module cli/fleet
 * `bulwark fleet status`: parses the flags, asks runtime/fleet/query for a node's view of
 * the fleet, and prints it as a table (or the raw object with --json). `bulwark fleet push
 * FILE`: sends FILE to a node's POST /fleet/config and prints the version stored.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../core/errors.js';
import { pushFleetFile, readFleetStatus, type FleetView } from '../runtime/fleet/query.js';
import { COMMAND_HELP, renderHelp } from './help.js';

const OPTIONS = {
  config: { type: 'string', short: 'c', default: 'conf/bulwark.yaml' },
  admin: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The subcommands fleetCommand runs; `bulwark help fleet SUBCOMMAND` answers for each. */
export const FLEET_SUBCOMMANDS: readonly string[] = ['status', 'push'];

/** The view as text: a header line, then one row per node. */
export function fleetTable(f: FleetView): string {
  const head = `fleet: node ${f.node}, ${f.connected ? 'connected to Redis' : 'NOT connected to Redis (showing the last nodes read)'}, leader: ${f.leader === null ? 'none' : `${f.leader} (term ${f.leader_term ?? '?'})`}`;
  const rows = [['NODE', 'CONFIG', 'LAST RELOAD', 'LAST SEEN', 'HEALTHY'], ...f.nodes.map((n) => [n.node, String(n.config_version), n.last_reload, n.last_seen ?? 'never', n.healthy ? 'yes' : 'no'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const errors = f.nodes.filter((n) => n.config_error).map((n) => `${n.node} refused its last config (still running the one before):\n  ${n.config_error!.split('\n').join('\n  ')}`);
  return [head, ...rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()), ...errors].join('\n') + '\n';
}

/** Runs `bulwark fleet ARGV...`; resolves with the exit status (2: bad usage). */
export async function fleetCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    process.stderr.write(`bulwark fleet: ${(err as Error).message}\n\n${renderHelp(COMMAND_HELP.fleet)}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(renderHelp(COMMAND_HELP.fleet));
    return 0;
  }
  const [sub, ...args] = positionals;
  const arity = sub === 'push' ? 1 : 0;
  if (sub === undefined || !FLEET_SUBCOMMANDS.includes(sub) || args.length !== arity) {
    const what =
      sub === undefined ? 'a subcommand is required' : !FLEET_SUBCOMMANDS.includes(sub) ? `unknown subcommand "${sub}"` : args.length < arity ? 'push needs the FILE to push' : `unexpected argument "${args[arity]}"`;
    process.stderr.write(`bulwark fleet: ${what}\n\n${renderHelp(COMMAND_HELP.fleet)}`);
    return 2;
  }
  try {
    if (sub === 'push') {
      const { version, url } = await pushFleetFile({ configFile: values.config, admin: values.admin, env, file: args[0]! });
      process.stdout.write(`${args[0]} stored as fleet config version ${version} (through ${url}); every node applies it\n`);
      return 0;
    }
    const view = await readFleetStatus({ configFile: values.config, admin: values.admin, env });
    process.stdout.write(values.json === true ? `${JSON.stringify(view, null, 2)}\n` : fleetTable(view));
    return 0;
  } catch (err) {
    process.stderr.write(`bulwark fleet: ${describeError(err)}\n`);
    return 1;
  }
}
