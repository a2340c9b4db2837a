/**
 * @module test/unit/backup/fixtures
 * Shared helpers for the backup tests: temp directories removed after each test, a
 * deterministic session table, a stepping clock, and byte-level damage to files on disk.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { StickyEntry } from '../../../src/balancer/sticky/index.js';

/** Returns a maker of fresh temp dirs; every dir it made is removed after each test. */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-backup-'));
    made.push(dir);
    return dir;
  };
}

export const CONFIG_TEXT = '\uFEFF# bulwark — ünïcödé ✓\nlisten: ":8080"\nupstreams:\n  web:\n    servers: [{ url: "http://127.0.0.1:3001" }]\n';

export function makeSessions(n: number, base = 1_800_000_000_000): StickyEntry[] {
  const out: StickyEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ key: `sess-${i.toString(36)}-"q"\u00e9`, upstream: i % 3 === 0 ? 'api' : 'web', server: `s${i % 7}`, expires_at: base + i * 1000 });
  }
  return out;
}

/** 2026-11-28T10:00:00.000Z plus `minutes`. */
export function at(minutes: number): number {
  return Date.UTC(2026, 10, 28, 10, 0, 0, 0) + minutes * 60_000;
}

/** XORs the byte at `offset` (negative: from the end) of a file with `mask`. */
export async function flipByte(path: string, offset: number, mask = 0x01): Promise<void> {
  const data = await readFile(path);
  const i = offset < 0 ? data.length + offset : offset;
  data[i] = data[i]! ^ mask;
  await writeFile(path, data);
}

/** Spawns a node process that lives ~5 s; returns its pid and a function that kills it. */
export function liveProcess(): { pid: number; kill: () => void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{},5000)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

/** The pid of a node process that has already exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
