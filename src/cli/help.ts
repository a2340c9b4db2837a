/**
 * @module cli/help
 * The help texts: `bulwark --help`, and each command's own (`bulwark start --help`,
 * `bulwark help start`): a synopsis, what it does, its flags, the environment variables it
 * reads, an example and its exit statuses. Text only; main.ts and backup/commands.ts print it.
 */

/** One command's help, rendered by `renderHelp`. */
export interface CommandHelp {
  readonly synopsis: string;
  readonly about: string;
  /** Flags besides -c and -h, which every command has: [flag, meaning]. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  /** What -c FILE is read for, when it is more than the config file. */
  readonly file?: string;
  readonly env: ReadonlyArray<readonly [string, string]>;
  readonly example: string;
  readonly exit: string;
}

/** The environment variables of the config's `*_env` keys, which several commands read. */
export const ENV = {
  adminToken: ['$admin.token_env', "the variable admin.token_env names: the admin API's bearer token"],
  backupKey: ['$backup.encrypt_key_env', 'the variable backup.encrypt_key_env names: the snapshot encryption key'],
  adminUrl: ['BULWARK_ADMIN_URL', 'the admin API when --admin is not given (else admin.listen from FILE)'],
} as const;

/** Help lines stay within this many columns (a word longer than a line stays whole). */
const COLUMNS = 96;

/** `text` in lines of at most `COLUMNS`, every line after the first indented by `indent` spaces. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > COLUMNS) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${wrap(v, width + 4)}`).join('\n');
}

export function renderHelp(h: CommandHelp): string {
  const options: Array<readonly [string, string]> = [
    ['-c, --config FILE', `${h.file ?? 'the config file'} (default: conf/bulwark.yaml)`],
    ...h.options,
    ['-h, --help', 'show this help'],
  ];
  const env = h.env.length === 0 ? '  none' : table(h.env);
  return `Usage: ${h.synopsis}\n\n${h.about}\n\nOptions:\n${table(options)}\n\nEnvironment:\n${env}\n\nExample:\n  ${h.example}\n\n${wrap(`Exit status: ${h.exit}`, 2)}\n`;
}

export const USAGE = `Usage: bulwark <command> [options]

Commands:
  start -c FILE      start the proxy with the given config file
  validate -c FILE   check a config file; prints every error, exits 1 if any
  check -c FILE      a Nagios plugin: are enough servers of each upstream available?
  fleet status       the nodes of this node's fleet (through Redis) and their health
  fleet push FILE    store FILE as the fleet's shared config, for every node to apply
  backup <command>   snapshots of the config and sessions: list, create, verify,
                     restore, prune, agent (bulwark backup --help for details)
  help [COMMAND]     show this help, or a command's own (as COMMAND --help does)

Options:
  -c, --config FILE  config file (default: conf/bulwark.yaml)
  -h, --help         show this help
  -v, --version      print the version

Signals (start): SIGHUP reloads the config file (as does saving it, or POST /reload on the
admin listener). SIGUSR1 reopens log.access_file (after logrotate moved it). SIGTERM or
SIGINT drain in-flight requests (front.timeouts.drain), then exit 0; a second one exits at
once with status 1.
`;

export const COMMAND_HELP: Readonly<Record<'start' | 'validate' | 'check' | 'fleet', CommandHelp>> = {
  start: {
    synopsis: 'bulwark start [-c FILE]',
    about: [
      'Loads and validates FILE, binds every listener and serves until stopped. With a backup:',
      'block it also runs the backup sidecar (bulwark backup agent) and restarts it if it dies.',
      '',
      'Signals: SIGHUP reloads FILE (as does saving it, or POST /reload on the admin listener).',
      'SIGUSR1 reopens log.access_file, for logrotate (mv it, then kill -USR1).',
      'SIGTERM or SIGINT drain in-flight requests for up to front.timeouts.drain, then exit 0;',
      'a second one exits at once with status 1.',
    ].join('\n'),
    options: [],
    file: 'the config file to serve',
    env: [
      [ENV.adminToken[0], `${ENV.adminToken[1]}; start refuses to run when it is named but unset`],
      [ENV.backupKey[0], `${ENV.backupKey[1]}; start refuses to run when it is named but unset`],
    ],
    example: 'bulwark start -c conf/bulwark.yaml',
    exit: '0 after a graceful stop; 1 invalid config or a failure to start (the message names the address); 2 bad usage.',
  },
  validate: {
    synopsis: 'bulwark validate [-c FILE]',
    about: [
      'Checks FILE and starts nothing. Prints every error at once, one a line, as',
      'file:line:col: key.path: rule, with a did-you-mean for a misspelt key.',
    ].join('\n'),
    options: [],
    file: 'the config file to check',
    env: [],
    example: 'bulwark validate -c conf/bulwark.yaml',
    exit: '0 when FILE is valid; 1 when it has errors or cannot be read; 2 bad usage.',
  },
  check: {
    synopsis: 'bulwark check [-c FILE] [--admin URL] [--upstream NAME] [--warn N] [--crit N] [--max-error-rate W[,C]] [--format nagios|json]',
    about: [
      "A Nagios plugin: asks the running bulwark's admin API (GET /status) how many servers of each",
      'upstream are available, and prints one status line with performance data:',
      "  BULWARK WARNING - web: 2/3 servers available (b: draining) | 'web_available'=2;2;0;0;3",
      'Without --upstream every upstream is checked and the worst state wins. UNKNOWN when the',
      'admin API cannot be reached, does not answer in time, refuses the token, or has no such upstream.',
      'With --max-error-rate it reads /status twice, --interval apart, and also judges the share of',
      "the upstream's requests to its servers that failed (5xx or no answer; each retry counts) in",
      'that window: the current rate, not one since start (no requests in the window is 0%).',
    ].join('\n'),
    options: [
      ['--admin URL', 'the admin API (e.g. http://127.0.0.1:9901); default: BULWARK_ADMIN_URL, else admin.listen from FILE'],
      ['-u, --upstream NAME', 'check only this upstream (default: every upstream)'],
      ['-w, --warn N', 'WARNING when N or fewer servers are available (default: all but one, i.e. any server out)'],
      ['--crit N', 'CRITICAL when N or fewer servers are available (default: 0, i.e. none left)'],
      ['--max-error-rate W[,C]', 'WARNING when the error rate is above W percent, CRITICAL above C (default: not checked)'],
      ['--interval SECONDS', 'the window of --max-error-rate: the time between the two reads (default: 1; below --timeout)'],
      ['-t, --timeout SECONDS', 'UNKNOWN when the admin API stays silent this long (default: 10)'],
      ['--format nagios|json', 'json: one flat object for Zabbix ({"status":"OK","exit":0,"web_available":3,"web_total":3,...}); exit 0 when printed'],
    ],
    file: 'the config file, for admin.listen and admin.token_env',
    env: [ENV.adminUrl, ENV.adminToken],
    example: 'bulwark check -c /etc/bulwark/bulwark.yaml --upstream web --warn 1 --crit 0',
    exit: '0 OK; 1 WARNING; 2 CRITICAL; 3 UNKNOWN (also for bad usage). With --format json: 0 once the object is printed (its "exit" field has the state).',
  },  fleet: {
    synopsis: 'bulwark fleet status [-c FILE] [--admin URL] [--json] | bulwark fleet push [-c FILE] [--admin URL] PUSHED',
    about: [
      "status asks a running node's admin API (GET /status) for its view of the fleet: every node seen",
      'through Redis with its fleet config version, last reload, last heartbeat and health (seen within',
      '3 heartbeats), whether this node is connected to Redis, and the leader with its term (its',
      'fencing token).',
      "push sends PUSHED (YAML: the shared blocks, no listen, admin, fleet or workers) to the node's",
      'POST /fleet/config: validated there, stored in Redis with the next version, applied by every node.',
    ].join('\n'),
    options: [
      ['--admin URL', 'the admin API (e.g. http://127.0.0.1:9901); default: BULWARK_ADMIN_URL, else admin.listen from FILE'],
      ['--json', "print /status's fleet object as JSON instead of a table"],
    ],
    file: 'the config file, for admin.listen and admin.token_env',
    env: [ENV.adminUrl, ENV.adminToken],
    example: 'bulwark fleet status -c /etc/bulwark/bulwark.yaml --admin http://127.0.0.1:9901',
    exit: '0 when printed (status) or stored (push); 1 when the admin API cannot be reached, refuses (push: the issues are printed, nothing is stored), or the node runs without fleet:; 2 bad usage.',
  },
};
