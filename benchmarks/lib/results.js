// Where a benchmark's result goes: benchmarks/results/<name>-<start time>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './targets.js';

/**
 * Writes { startedAt, finishedAt, config, env, ...parts } as JSON to
 * benchmarks/results/NAME-<startedAt>.json; returns that path relative to the working directory.
 */
export function saveResult(name, startedAt, config, parts) {
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config,
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length },
    ...parts,
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return path.relative(process.cwd(), file);
}
