// Process helpers for the benchmark harness: spawning children, waiting for
// them to become ready, sampling their CPU time, and stopping them.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { proxyCommand } from './pin.js';

/** Clock ticks per second used by /proc/<pid>/stat (normally 100). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** All children we started, so cleanup can always find them. */
const children = new Set();

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawn `node <script> ...args` and resolve with { child, port } once it
 * prints "ready <port>" on stdout. Rejects on early exit or after timeoutMs.
 * `pinned`: on the proxy's cores when BENCH_PIN is set (pin.js).
 */
export function spawnReady(name, script, args, { timeoutMs = 10_000, env, pinned = false } = {}) {
  const [cmd, argv] = pinned ? proxyCommand(process.execPath, [script, ...args.map(String)]) : [process.execPath, [script, ...args.map(String)]];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env && { ...process.env, ...env } });
  child.benchName = name;
  track(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^ready (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.resume(); // keep draining, ignore anything else
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (code ${code}, signal ${sig})\n${stderr}`));
    });
  });
}

/** Spawn an arbitrary command with the given stdio; the child is tracked for cleanup. */
export function spawnTracked(name, cmd, args, opts) {
  const child = spawn(cmd, args, opts);
  child.benchName = name;
  track(child);
  return child;
}

function track(child) {
  children.add(child);
  child.exited = new Promise((r) => child.once('exit', r));
  child.exited.then(() => children.delete(child));
}

/**
 * Poll `url` every 50 ms until it answers 200, up to timeoutMs. Fails fast if `child` exits.
 * An https URL is not verified: the TLS targets serve a throwaway certificate (certs.js).
 */
export async function waitHttp200(url, child, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.benchName} exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    const status = await new Promise((resolve) => {
      const get = url.startsWith('https:') ? https.get : http.get;
      const req = get(url, { agent: false, timeout: 1000, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not return 200 within ${timeoutMs} ms`);
}

/** utime+stime (fields 14 and 15 of /proc/<pid>/stat), in clock ticks; 0 if gone. */
function ownTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces/parens: split after the last ')'.
    // The remainder starts at field 3, so field N is rest[N - 3].
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[14 - 3]) + Number(rest[15 - 3]);
  } catch {
    return 0;
  }
}

/** Direct children of pid (all threads), via /proc/<pid>/task/<tid>/children. */
function childPids(pid) {
  const out = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const txt = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (txt) out.push(...txt.split(' ').map(Number));
    }
  } catch {
    /* process gone or no permission: no children */
  }
  return out;
}

/**
 * CPU seconds used so far by a process and all its live descendants (in case
 * a target forks workers; worker threads are already part of the process).
 */
export function cpuSeconds(pid) {
  let ticks = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    ticks += ownTicks(p);
    stack.push(...childPids(p));
  }
  return ticks / CLK_TCK;
}

/** SIGTERM a child, wait up to graceMs for it to exit, then SIGKILL. */
export async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout').unref());
  if ((await Promise.race([child.exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await child.exited;
  }
}

/** Stop every child still running (used at the end and on errors / signals). */
export function stopAll() {
  return Promise.all([...children].map((c) => stop(c)));
}
