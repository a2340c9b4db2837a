/**
 * @module cli/backup/help
 * The help of `bulwark backup` and of each of its commands (`bulwark backup restore
 * --help`, `bulwark help backup restore`). Text only.
 */
import { ENV, type CommandHelp } from '../help.js';

export const BACKUP_USAGE = `Usage: bulwark backup <command> -c FILE [options]

Commands (each reads backup.dir and the admin address from FILE):
  list [--json]                  snapshots: id, time, config version, sessions, size, verified
  create                         take a snapshot now, through the admin API
  verify [ID | --all]            check every part of one snapshot (default: all); exit 1 if any is invalid
  restore ID | --before TIME     put a snapshot back: the config into FILE (atomically; the old
    [--only config|sessions]     file is kept as FILE.bak-<time>) and the sessions into the
    [--dry-run]                  running bulwark (default both); --dry-run shows the config
                                 diff and the session count and changes nothing. TIME is
                                 ISO 8601 with a zone, e.g. 2026-11-28T10:00Z
  prune                          apply keep_last / keep_within (never removes the newest valid one)
  agent                          run the backup sidecar (bulwark start runs it for you)

Options:
  -c, --config FILE  config file (default: conf/bulwark.yaml)
  --admin URL        the admin API, for create, restore and agent (default: BULWARK_ADMIN_URL,
                     else admin.listen from FILE)
  -h, --help         show this help
The encryption key is read from the variable named by backup.encrypt_key_env.
bulwark backup COMMAND --help shows a command's own help.
`;

const ADMIN_FLAG = ['--admin URL', 'the admin API, e.g. http://127.0.0.1:9901 (default: BULWARK_ADMIN_URL, else admin.listen from FILE)'] as const;
/** What every backup command reads -c FILE for. */
const FILE = 'the config file: backup.dir and the admin address';
const ADMIN_ENV = [ENV.adminUrl, ENV.adminToken] as const;
const KEY_TO_READ = [ENV.backupKey[0], `${ENV.backupKey[1]}, to decrypt (without it an encrypted snapshot does not verify)`] as const;

export const BACKUP_HELP: Readonly<Record<'list' | 'create' | 'verify' | 'restore' | 'prune' | 'agent', CommandHelp>> = {
  list: {
    synopsis: 'bulwark backup list [-c FILE] [--json]',
    about: 'Lists the snapshots in backup.dir, newest first: id, time, config version, session count,\nsize on disk, and whether it verifies (each is checked in full).',
    options: [['--json', 'an array of objects (id, time, config_version, session_count, bytes, encrypted, verified, problems)']],
    file: FILE,
    env: [KEY_TO_READ],
    example: 'bulwark backup list -c conf/bulwark.yaml --json',
    exit: '0 (also when some snapshot is invalid: see VERIFIED); 1 failure; 2 bad usage.',
  },
  create: {
    synopsis: 'bulwark backup create [-c FILE] [--admin URL]',
    about: 'Takes a snapshot now of the running config and sticky sessions, through the admin API\nof the running bulwark, into backup.dir.',
    options: [ADMIN_FLAG],
    file: FILE,
    env: [...ADMIN_ENV, [ENV.backupKey[0], `${ENV.backupKey[1]}; required when named`]],
    example: 'bulwark backup create -c conf/bulwark.yaml --admin http://127.0.0.1:9901',
    exit: '0 created; 1 failure (bulwark unreachable, backup.dir not writable, key unset); 2 bad usage.',
  },
  verify: {
    synopsis: 'bulwark backup verify [ID | --all] [-c FILE]',
    about: "Checks every part of one snapshot, or of all (the default): the manifest, each part's size\nand sha256, decryption and content. Says exactly what is wrong with an invalid one.",
    options: [['--all', 'every snapshot in backup.dir (the default without ID)']],
    file: FILE,
    env: [KEY_TO_READ],
    example: 'bulwark backup verify 20261128T100000123Z-1a2b -c conf/bulwark.yaml',
    exit: '0 every snapshot checked is valid; 1 one is not, or a failure; 2 bad usage.',
  },
  restore: {
    synopsis: 'bulwark backup restore (ID | --before TIME) [-c FILE] [--only config|sessions] [--dry-run] [--admin URL]',
    about: [
      'Puts a snapshot back: its config into FILE (atomically; the replaced file is kept as',
      'FILE.bak-<time>; the running bulwark is asked to reload it) and its sessions into the',
      "running bulwark's tables (POST /sessions/import?mode=replace). A snapshot that does not",
      'verify is refused.',
    ].join('\n'),
    options: [
      ['--before TIME', 'the newest valid snapshot taken at or before TIME (ISO 8601 with a zone, e.g. 2026-11-28T10:00Z)'],
      ['--only config|sessions', 'restore only that part (default: both)'],
      ['--dry-run', 'print the config diff and the session count; change nothing'],
      ADMIN_FLAG,
    ],
    file: 'the config file: backup.dir, the admin address, and the file the config is written back to',
    env: [...ADMIN_ENV, KEY_TO_READ],
    example: 'bulwark backup restore --before 2026-11-28T10:00Z -c conf/bulwark.yaml --only config',
    exit: '0 done (or dry run); 1 failure (no such snapshot, it does not verify, bulwark refused it); 2 bad usage.',
  },
  prune: {
    synopsis: 'bulwark backup prune [-c FILE]',
    about: 'Applies backup.keep_last and backup.keep_within: removes every snapshot that neither keeps,\nand leftovers of interrupted writes. Never removes the newest valid snapshot.',
    options: [],
    file: FILE,
    env: [KEY_TO_READ],
    example: 'bulwark backup prune -c conf/bulwark.yaml',
    exit: '0 done; 1 failure; 2 bad usage.',
  },
  agent: {
    synopsis: 'bulwark backup agent [-c FILE] [--admin URL]',
    about: [
      'Runs the backup sidecar in the foreground: a snapshot every backup.interval (and after each',
      'reload, with backup.on_reload), pruned after each; JSON log lines on stdout. bulwark start',
      'runs it for you when FILE has a backup: block; run it yourself to back up a bulwark that',
      'has none. SIGHUP re-reads the running config; SIGTERM or SIGINT take a last snapshot, then exit 0.',
    ].join('\n'),
    options: [ADMIN_FLAG],
    file: FILE,
    env: [...ADMIN_ENV, [ENV.backupKey[0], `${ENV.backupKey[1]}; required when named`], ['BULWARK_BACKUP_SUPERVISED', 'set to 1 by bulwark start: exit when the parent goes away']],
    example: 'bulwark backup agent -c conf/bulwark.yaml --admin http://127.0.0.1:9901',
    exit: '0 after SIGTERM or SIGINT; 1 failure to start (key unset, bad config); 2 bad usage.',
  },
};
