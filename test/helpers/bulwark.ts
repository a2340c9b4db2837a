/**
 * Starts a real bulwark App in-process from YAML text written to a real temp file, with
 * logs captured as parsed JSON lines. Listeners use port 0 unless the YAML says otherwise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppOptions } from '../../src/runtime/app.js';

export interface TestBulwark {
  readonly app: App;
  /** "http://127.0.0.1:PORT" of the first proxy listener. */
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  readonly configFile: string;
  stop(drainMs?: number): Promise<boolean>;
}

/** `opts` injects the App's clock and random source (default: the system's). */
export async function startBulwark(yaml: string, opts: Pick<AppOptions, 'clock' | 'random' | 'watch'> = {}): Promise<TestBulwark> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-test-'));
  const configFile = join(dir, 'bulwark.yaml');
  await writeFile(configFile, yaml);
  const logs: Array<Record<string, unknown>> = [];
  // No process metrics: they outlive the App (see AppOptions.processMetrics).
  const app = await App.start({
    processMetrics: false,
    ...opts,
    configFile,
    logDestination: {
      write(line: string) {
        for (const l of line.split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
      },
    },
  });
  const a = app.addresses[0]!;
  const admin = app.adminAddress!;
  return {
    app,
    url: `http://127.0.0.1:${a.port}`,
    port: a.port,
    adminUrl: `http://127.0.0.1:${admin.port}`,
    logs,
    configFile,
    stop: async (drainMs = 1000) => {
      const clean = await app.stop(drainMs);
      await rm(dir, { recursive: true, force: true });
      return clean;
    },
  };
}

/** YAML for one upstream "web" over the given origin URLs with a catch-all route. */
export function simpleConfig(urls: string[], extra: { upstream?: string; top?: string; scheduler?: string } = {}): string {
  return [
    'listen: 127.0.0.1:0',
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: true }',
    extra.top ?? '',
    'upstreams:',
    '  web:',
    `    scheduler: ${extra.scheduler ?? 'round-robin'}`,
    extra.upstream ?? '',
    '    servers:',
    ...urls.map((u) => `      - { url: "${u}" }`),
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n');
}
