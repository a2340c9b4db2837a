/**
 * @module cli/demo
 * `npm run demo`: parses the demo's flags, prints its banner and its lines, and passes the
 * keys typed at it to runtime/demo, which runs bulwark and the origin processes.
 * Ctrl-C (or `q`) drains bulwark and stops everything; a second Ctrl-C exits at once.
 */
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Demo, FLAKY, KEYS } from '../runtime/demo/index.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../conf/demo.yaml', import.meta.url));
const DEFAULT_LOG = join(tmpdir(), 'bulwark-demo.log');

const USAGE = `Usage: npm run demo [-- OPTIONS]   (or: node dist/cli/demo.js [OPTIONS])

Starts one origin process per server address in the config and bulwark in front of them,
then prints every change of a server's state. Keys (type one, then Enter):
  ${KEYS}.

Options:
  -c, --config FILE  the config (default: conf/demo.yaml); every server must be a local address
  --flaky NAME|none  the server whose origin answers 503 for ${FLAKY.down / 1000}s of every ${FLAKY.cycle / 1000}s (default: the last)
  --log FILE|-       where bulwark's JSON log goes; - is this terminal (default: ${DEFAULT_LOG})
  -h, --help         show this help
`;

const print = (line: string): void => void process.stdout.write(`${line}\n`);

function banner(demo: Demo, configFile: string, logFile: string | undefined): string {
  const { specs } = demo.origins;
  const width = Math.max(6, ...specs.map((o) => o.name.length));
  const row = (k: string, v: string): string => `  ${k.padEnd(width)}  ${v}`;
  const origins = specs.map((o, i) => {
    const flaky = o.flaky === undefined ? '' : `  flaky: answers 503 for ${o.flaky.down / 1000}s of every ${o.flaky.cycle / 1000}s`;
    return row(o.name, `http://${o.host}:${o.port}  pid ${demo.origins.pid(i)}${flaky}`);
  });
  const second = Math.min(1, specs.length - 1);
  const near = relative(process.cwd(), configFile);
  const config = near === '' || near.startsWith('..') ? configFile : near;
  return [
    `bulwark demo: ${specs.length} origins, each its own process, behind bulwark (${config})`,
    ...origins,
    row('proxy', demo.proxyUrl),
    row('status', demo.statusUrl),
    row('log', logFile === undefined ? "bulwark's JSON log: here" : `${logFile} (bulwark's JSON log)`),
    '',
    'In a second terminal:',
    `  curl ${demo.proxyUrl}`,
    `  while sleep 0.5; do curl -s ${demo.proxyUrl}; done`,
    `  kill ${demo.origins.pid(second)}      # stops ${specs[second]!.name}: bulwark marks it down, the traffic goes on`,
    `  curl ${demo.statusUrl}`,
    '',
    `Here: ${KEYS}.`,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c', default: DEFAULT_CONFIG },
        flaky: { type: 'string' },
        log: { type: 'string', default: DEFAULT_LOG },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`bulwark demo: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logFile = values.log === '-' ? undefined : values.log;
  let demo: Demo;
  try {
    demo = await Demo.start({ configFile: values.config, flaky: values.flaky, logFile, print });
  } catch (err) {
    process.stderr.write(`bulwark demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  print(banner(demo, values.config, logFile));
  print(demo.table());
  return new Promise<number>((resolve) => {
    const keys = createInterface({ input: process.stdin });
    let stopping = false;
    const stop = (): void => {
      if (stopping) process.exit(1);
      stopping = true;
      keys.close();
      print('stopping: bulwark drains, then the origins stop');
      void demo.stop().then(() => resolve(0));
    };
    keys.on('line', (line) => void demo.command(line).then((out) => (out === 'quit' ? stop() : out !== '' && print(out))));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bulwark demo: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
