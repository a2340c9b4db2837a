#!/usr/bin/env node
/**
 * @module cli/main
 * The `bulwark` command: argument parsing and process lifecycle (signals, exit codes).
 * Exit codes: 0 success; 1 invalid config or runtime failure; 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError, formatConfigIssue, BulwarkError } from '../core/errors.js';
import { checkConfigFile, issueTotal } from '../config/index.js';
import type { Running } from '../runtime/running.js';
import { startFromFile } from '../runtime/start.js';
import { backupCommand, backupHelp } from './backup/commands.js';
import { checkCommand } from './check.js';
import { FLEET_SUBCOMMANDS, fleetCommand } from './fleet.js';
import { COMMAND_HELP, renderHelp, USAGE } from './help.js';

/**
 * The help for `bulwark help WORDS...` or `bulwark WORDS... --help`: the global usage for
 * none; undefined for an unknown command.
 */
function helpFor(words: readonly string[]): string | undefined {
  const [command, ...rest] = words;
  if (command === undefined) return USAGE;
  if (command === 'backup') return backupHelp(rest);
  // `bulwark fleet status --help` shows the fleet help, so `bulwark help fleet status` does too.
  if (command === 'fleet' && rest.length === 1 && FLEET_SUBCOMMANDS.includes(rest[0]!)) return renderHelp(COMMAND_HELP.fleet);
  if (rest.length > 0) return undefined;
  return command === 'start' || command === 'validate' || command === 'check' || command === 'fleet' ? renderHelp(COMMAND_HELP[command]) : undefined;
}

/** `bulwark help [COMMAND...]`: exit 0 with the help on stdout, or 2 for an unknown command. */
function help(words: readonly string[]): number {
  const text = helpFor(words);
  if (text === undefined) {
    process.stderr.write(`bulwark: no help for "${words.join(' ')}": no such command\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(text);
  return 0;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function start(file: string): Promise<number> {
  // SIGHUP's default action ends the process: a reload asked for while bulwark starts
  // (systemd's ExecReload, `docker kill -s HUP`) is kept, and run once it is up.
  let hupWhileStarting = false;
  const earlyHup = (): void => void (hupWhileStarting = true);
  process.on('SIGHUP', earlyHup);
  // SIGUSR1's default starts Node's inspector: one sent while starting reopens the logs once up.
  let usr1WhileStarting = false;
  const earlyUsr1 = (): void => void (usr1WhileStarting = true);
  process.on('SIGUSR1', earlyUsr1);
  let app: Running;
  try {
    app = await startFromFile(file);
  } catch (err) {
    process.stderr.write(`bulwark: ${describeError(err)}\n`);
    return 1;
  } finally {
    process.off('SIGHUP', earlyHup);
    process.off('SIGUSR1', earlyUsr1);
  }
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        app.logging.logger.warn({ event: 'forced_exit', signal: sig }, `second ${sig}: exiting now`);
        app.logging.flushSync();
        process.exit(1);
      }
      signalled = true;
      app.logging.logger.info({ event: 'signal', signal: sig }, `${sig} received: draining`);
      void app.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP reloads the config file, like nginx -s reload (but in process, nothing dropped).
    process.on('SIGHUP', () => void app.reload('signal'));
    // SIGUSR1 reopens the access-log file, as nginx's does (logrotate's postrotate).
    process.on('SIGUSR1', () => app.reopenLogs());
    if (usr1WhileStarting) app.reopenLogs();
    if (hupWhileStarting) void app.reload('signal');
  });
}

async function validate(file: string): Promise<number> {
  const { issues, warnings } = await checkConfigFile(file);
  // Warnings (a certificate close to expiry) don't fail validation: the config is usable.
  for (const w of warnings) process.stderr.write(`${formatConfigIssue({ ...w, rule: `warning: ${w.rule}` })}\n`);
  if (issues.length === 0) {
    process.stdout.write(`${file}: ok\n`);
    return 0;
  }
  for (const i of issues) process.stderr.write(`${formatConfigIssue(i)}\n`);
  const total = issueTotal(issues);
  process.stderr.write(`${file}: ${total} error${total === 1 ? '' : 's'}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  // `backup` has subcommands with options of their own.
  if (argv[0] === 'backup') return backupCommand(argv.slice(1));
  // `check` is a Nagios plugin: its own flags, and exit 3 (UNKNOWN) for bad usage.
  if (argv[0] === 'check') return checkCommand(argv.slice(1));
  if (argv[0] === 'fleet') return fleetCommand(argv.slice(1));
  if (argv[0] === 'help') return help(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'conf/bulwark.yaml' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    process.stderr.write(`bulwark: ${(err as Error).message}\n\n${helpFor(argv.slice(0, 1)) ?? USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`bulwark ${version()}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help) return help(positionals.slice(0, 1));
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (positionals.length > 1) {
    process.stderr.write(`bulwark: unexpected argument "${positionals[1]}"\n\n${helpFor(positionals.slice(0, 1)) ?? USAGE}`);
    return 2;
  }
  switch (command) {
    case 'start':
      return start(values.config);
    case 'validate':
      return validate(values.config);
    default:
      process.stderr.write(`bulwark: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = err instanceof BulwarkError ? ` [${err.code}]` : '';
    process.stderr.write(`bulwark: fatal${code}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
