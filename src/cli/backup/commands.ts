/**
 * @module cli/backup/commands
 * `bulwark backup <command>`: argument parsing and dispatch. Every command reads `-c FILE`
 * (default conf/bulwark.yaml) for `backup.dir` and the admin address. Exit codes: 0 ok,
 * 1 failure (including an invalid snapshot), 2 bad usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AdminClient, resolveAdminTarget } from '../../backup/agent/admin-client.js';
import { runAgent } from '../../backup/agent/agent.js';
import { listCommand, pruneCommand, verifyCommand, type Out } from '../../backup/agent/catalog.js';
import { CommandError, describeError, exitCodeOf } from '../../backup/agent/errors.js';
import { restoreCommand } from '../../backup/agent/restore.js';
import { loadBackupSettings, type BackupSettings } from '../../backup/agent/settings.js';
import { createCommand } from '../../backup/agent/snapshot.js';

export const BACKUP_USAGE = `Usage: bulwark backup <command> -c FILE [options]

Commands (each reads backup.dir and the admin address from FILE):
  list [--json]                  snapshots: id, time, config version, sessions, size, verified
  create                         take a snapshot now, through the admin API
  verify [ID | --all]            check every part of one snapshot (default: all); exit 1 if any is invalid
  restore ID | --before TIME     put a snapshot back: the config into FILE (atomically; the old
          [--config] [--sessions]  file is kept as FILE.bak-<time>) and the sessions into the
          [--dry-run]              running bulwark (default both); --dry-run shows the config
                                   diff and the session count and changes nothing. TIME is
                                   ISO 8601 with a zone, e.g. 2026-11-28T10:00Z
  prune                          apply keep_last / keep_within (never removes the newest valid one)
  agent                          run the backup sidecar (bulwark start runs it for you)

Options:
  -c FILE            config file (default: conf/bulwark.yaml)
  --admin URL        the admin API (default: BULWARK_ADMIN_URL, else admin.listen from FILE)
  -h, --help         show this help
The encryption key is read from the variable named by backup.encrypt_key_env.
`;

const COMMON = {
  file: { type: 'string', short: 'c', default: 'conf/bulwark.yaml' },
  admin: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options of each command besides COMMON; `restore --config` is a flag there, so -c is the file. */
const OPTIONS = {
  list: { json: { type: 'boolean' } },
  create: {},
  verify: { all: { type: 'boolean' } },
  restore: { config: { type: 'boolean' }, sessions: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, before: { type: 'string' } },
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

function parse(argv: string[]): Parsed | 'help' {
  const command = argv[0];
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return 'help';
  if (!(command in OPTIONS)) throw new CommandError(`unknown backup command "${command}"`, 2);
  const c = command as Command;
  // Outside restore, --config FILE means the config file, as it does for the other commands.
  const extra = c === 'restore' ? OPTIONS.restore : { ...OPTIONS[c], config: { type: 'string' } };
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, options: { ...COMMON, ...extra } as ParseArgsConfig['options'] });
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help'] === true) return 'help';
  if (c !== 'restore' && typeof values['config'] === 'string') values['file'] = values['config'];
  if (parsed.positionals.length > MAX_POSITIONALS[c]) throw new CommandError(`backup ${c}: unexpected argument "${parsed.positionals[MAX_POSITIONALS[c]]}"`, 2);
  return { command: c, values, positionals: parsed.positionals };
}

async function dispatch(p: Parsed, s: BackupSettings, out: Out, env: NodeJS.ProcessEnv): Promise<number> {
  const admin = typeof p.values['admin'] === 'string' ? p.values['admin'] : undefined;
  const client = (): AdminClient => new AdminClient(resolveAdminTarget(s.config, { admin, env }), s.backup.timeout);
  const id = p.positionals[0];
  switch (p.command) {
    case 'list':
      return listCommand(s, p.values['json'] === true, out);
    case 'create':
      return createCommand(client(), s, out);
    case 'verify':
      if (id !== undefined && p.values['all'] === true) throw new CommandError('give an ID or --all, not both', 2);
      return verifyCommand(s, id, out);
    case 'prune':
      return pruneCommand(s, out);
    case 'restore': {
      const before = p.values['before'];
      if ((id === undefined) === (before === undefined)) throw new CommandError('give a snapshot ID or --before TIME (one of them)', 2);
      const flags = { config: p.values['config'] === true, sessions: p.values['sessions'] === true, dryRun: p.values['dry-run'] === true };
      return restoreCommand(s, { id, before: before as string | undefined, ...flags }, client, out);
    }
    case 'agent':
      return runAgent(s, { admin, env });
  }
}

/** Runs `bulwark backup ARGV...`; resolves with the exit status. */
export async function backupCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out: Out = (line) => void process.stdout.write(`${line}\n`);
  let p: Parsed | 'help';
  try {
    p = parse(argv);
  } catch (err) {
    process.stderr.write(`bulwark: ${describeError(err)}\n\n${BACKUP_USAGE}`);
    return exitCodeOf(err);
  }
  if (p === 'help') {
    (argv.length === 0 ? process.stderr : process.stdout).write(BACKUP_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const s = await loadBackupSettings(String(p.values['file']), env);
    if (s.warning !== undefined && p.command !== 'agent') process.stderr.write(`${s.warning}\n`);
    return await dispatch(p, s, out, env);
  } catch (err) {
    const code = exitCodeOf(err);
    process.stderr.write(`bulwark backup ${p.command}: ${describeError(err)}\n${code === 2 ? `\n${BACKUP_USAGE}` : ''}`);
    return code;
  }
}
