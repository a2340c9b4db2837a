/**
 * @module cli/backup/commands
 * `bulwark backup <command>`: argument parsing and dispatch. Every command reads `-c FILE`
 * (`--config FILE`; default conf/bulwark.yaml) for `backup.dir` and the admin address.
 * Exit codes: 0 ok, 1 failure (including an invalid snapshot), 2 bad usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AdminClient } from '../../admin/client.js';
import { adminClientFor } from '../../backup/agent/admin-client.js';
import { runAgent } from '../../backup/agent/agent.js';
import { listCommand, pruneCommand, verifyCommand, type Out } from '../../backup/agent/catalog.js';
import { describeError, exitCodeOf, usageError } from '../../backup/agent/errors.js';
import { restoreCommand } from '../../backup/agent/restore.js';
import { loadBackupSettings, type BackupSettings } from '../../backup/agent/settings.js';
import { createCommand } from '../../backup/agent/snapshot.js';
import { renderHelp } from '../help.js';
import { BACKUP_HELP, BACKUP_USAGE } from './help.js';

const COMMON = {
  config: { type: 'string', short: 'c', default: 'conf/bulwark.yaml' },
  admin: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options of each command besides COMMON. */
const OPTIONS = {
  list: { json: { type: 'boolean' } },
  create: {},
  verify: { all: { type: 'boolean' } },
  restore: { only: { type: 'string' }, 'dry-run': { type: 'boolean' }, before: { type: 'string' } },
  prune: {},
  agent: {},
} as const;
type Command = keyof typeof OPTIONS;
/** How many positionals each command takes. */
const MAX_POSITIONALS: Record<Command, number> = { list: 0, create: 0, verify: 1, restore: 1, prune: 0, agent: 0 };

interface Parsed {
  readonly command: Command;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** `backup help [CMD]`, `backup --help`, `backup CMD --help`: the words naming the help wanted. */
type Help = { readonly help: string[] };

/** The help of `bulwark backup WORDS...`; undefined for an unknown command. */
export function backupHelp(words: readonly string[]): string | undefined {
  if (words.length === 0) return BACKUP_USAGE;
  const c = words[0]!;
  return words.length === 1 && c in BACKUP_HELP ? renderHelp(BACKUP_HELP[c as Command]) : undefined;
}

/** A snapshot id, as `backup list` prints it (20261128T100000123Z-1a2b). */
const SNAPSHOT_ID = /^\d{8}T\d{9}Z-[0-9a-f]+$/i;

/**
 * Throws for the part selectors `restore --config` and `--sessions` of earlier releases:
 * `--only` replaced them so that -c/--config names the config file for every command.
 * `--config` counts as the old flag when no file name follows it.
 */
function refuseOldSelectors(args: readonly string[]): void {
  const i = args.findIndex((a, n) => a === '--sessions' || a.startsWith('--sessions=') || (a === '--config' && (n + 1 === args.length || args[n + 1]!.startsWith('-') || SNAPSHOT_ID.test(args[n + 1]!))));
  if (i < 0) return;
  const part = args[i]!.startsWith('--sessions') ? 'sessions' : 'config';
  throw usageError(`backup restore: ${args[i]} no longer selects a part: use --only ${part} (-c/--config FILE names the config file)`);
}

function parse(argv: string[]): Parsed | Help {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h') return { help: [] };
  if (command === 'help') return { help: argv.slice(1) };
  if (!(command in OPTIONS)) throw usageError(`unknown backup command "${command}"`);
  const c = command as Command;
  if (c === 'restore') refuseOldSelectors(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, options: { ...COMMON, ...OPTIONS[c] } as ParseArgsConfig['options'] });
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help'] === true) return { help: [c] };
  if (parsed.positionals.length > MAX_POSITIONALS[c]) throw usageError(`backup ${c}: unexpected argument "${parsed.positionals[MAX_POSITIONALS[c]]}"`);
  const only = values['only'];
  if (only !== undefined && only !== 'config' && only !== 'sessions') throw usageError(`backup restore: --only "${String(only)}": must be config or sessions (without --only, both)`);
  return { command: c, values, positionals: parsed.positionals };
}

async function dispatch(p: Parsed, s: BackupSettings, out: Out, env: NodeJS.ProcessEnv): Promise<number> {
  const admin = typeof p.values['admin'] === 'string' ? p.values['admin'] : undefined;
  const client = (): AdminClient => adminClientFor(s, { admin, env });
  const id = p.positionals[0];
  switch (p.command) {
    case 'list':
      return listCommand(s, p.values['json'] === true, out);
    case 'create':
      return createCommand(client(), s, out);
    case 'verify':
      if (id !== undefined && p.values['all'] === true) throw usageError('give an ID or --all, not both');
      return verifyCommand(s, id, out);
    case 'prune':
      return pruneCommand(s, out);
    case 'restore': {
      const before = p.values['before'];
      if ((id === undefined) === (before === undefined)) throw usageError('give a snapshot ID or --before TIME (one of them)');
      const only = p.values['only'] as 'config' | 'sessions' | undefined;
      return restoreCommand(s, { id, before: before as string | undefined, only, dryRun: p.values['dry-run'] === true }, client, out);
    }
    case 'agent':
      return runAgent(s, { admin, env });
  }
}

/** Runs `bulwark backup ARGV...`; resolves with the exit status. */
export async function backupCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out: Out = (line) => void process.stdout.write(`${line}\n`);
  let p: Parsed | Help;
  // A usage error shows the command's own help, or the list of commands.
  const usage = (): string => backupHelp(argv.slice(0, 1)) ?? BACKUP_USAGE;
  try {
    p = parse(argv);
  } catch (err) {
    process.stderr.write(`bulwark: ${describeError(err)}\n\n${usage()}`);
    return exitCodeOf(err);
  }
  if ('help' in p) return printHelp(p.help, argv.length === 0);
  try {
    const s = await loadBackupSettings(String(p.values['config']), env);
    if (s.warning !== undefined && p.command !== 'agent') process.stderr.write(`${s.warning}\n`);
    return await dispatch(p, s, out, env);
  } catch (err) {
    const code = exitCodeOf(err);
    process.stderr.write(`bulwark backup ${p.command}: ${describeError(err)}\n${code === 2 ? `\n${usage()}` : ''}`);
    return code;
  }
}

/** Prints the help `words` name; exit 0, or 2 when it is printed for a missing command or none is known. */
function printHelp(words: string[], noCommand: boolean): number {
  const text = backupHelp(words);
  if (text === undefined) {
    process.stderr.write(`bulwark: no help for "backup ${words.join(' ')}": no such command\n\n${BACKUP_USAGE}`);
    return 2;
  }
  (noCommand ? process.stderr : process.stdout).write(text);
  return noCommand ? 2 : 0;
}
