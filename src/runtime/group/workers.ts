/**
 * @module runtime/group/workers
 * The primary's worker processes: forks them, answers each one's hello with the group's
 * state, restarts one that exits unasked (back-off from 100 ms, doubling to 10 s, back to
 * 100 ms once a worker has run 30 s), and stops them all on request.
 */
import cluster, { type Worker } from 'node:cluster';
import type pino from 'pino';
import type { Clock } from '../../core/clock.js';
import type { GroupCounters } from './counters.js';
import type { GroupReloads } from './reloads.js';
import { isFromWorker, type FromWorker, type InitMessage, type PinMessage, type ToWorker, type TouchMessage } from './messages.js';

export const RESTART_BACKOFF = { first: 100, max: 10_000, resetAfter: 30_000 } as const;

/**
 * The wait before restarting a worker that ran `ranMs`, and the wait after that: `backoff`
 * is the one this restart would take (RESTART_BACKOFF.first at first).
 */
export function restartDelay(backoff: number, ranMs: number): { delay: number; next: number } {
  const delay = ranMs >= RESTART_BACKOFF.resetAfter ? RESTART_BACKOFF.first : backoff;
  return { delay, next: Math.min(delay * 2, RESTART_BACKOFF.max) };
}

interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  /** Told the group's state: broadcasts reach it from then on. */
  joined: boolean;
  startedAt: number;
  restarts: number;
  backoff: number;
  timer: NodeJS.Timeout | undefined;
  /** Did not answer the last counter snapshot in time (its previous counts are used). */
  stale: boolean;
}

export interface WorkersDeps {
  readonly clock: Clock;
  readonly log: pino.Logger;
  /** The state a worker saying hello starts from (runtime/group/state). */
  readonly init: () => InitMessage;
  /** Counts one restart (the primary's bulwark_worker_restarts_total). */
  readonly restarted: () => void;
  /** Each worker's counter snapshots, and the counts of those that exited (runtime/group/counters). */
  readonly counters: GroupCounters;
  /** Which config each worker runs, and its answers to the primary's reloads (runtime/group/reloads). */
  readonly reloads: GroupReloads;
  /** A worker's pin or touch of a sticky session, from worker `slot` (runtime/group/sessions). */
  readonly sessions?: (m: PinMessage | TouchMessage, slot: number) => void;
}

export class Workers {
  readonly #deps: WorkersDeps;
  readonly #slots: Slot[];
  #stopping = false;
  /** Settles the start: every worker ready, or the first that could not start. */
  #starting: { pending: Set<number>; resolve: (listen: readonly string[]) => void; reject: (err: Error) => void } | undefined;
  #snapshotId = 0;
  /** The snapshot requests in flight: id → the slots yet to answer, and what to run when none is left. */
  readonly #asked = new Map<number, { pending: Set<number>; done: () => void }>();

  constructor(count: number, deps: WorkersDeps) {
    this.#deps = deps;
    this.#slots = Array.from({ length: count }, (_, i) => ({ id: i + 1, worker: undefined, joined: false, startedAt: 0, restarts: 0, backoff: RESTART_BACKOFF.first, timer: undefined, stale: false }));
  }

  /** Forks every worker; resolves with the first one's listen addresses once all are serving. */
  start(): Promise<readonly string[]> {
    return new Promise((resolve, reject) => {
      this.#starting = { pending: new Set(this.#slots.map((s) => s.id)), resolve, reject };
      for (const slot of this.#slots) this.#fork(slot);
    });
  }

  /** Sends `m` to every worker that has joined (in order with what it was sent before), but worker `except`. */
  broadcast(m: ToWorker, except?: number): void {
    for (const s of this.#slots) if (s.id !== except && s.joined && s.worker?.isConnected() === true) s.worker.send(m, undefined, {}, () => {});
  }

  /** The /status view: each worker's id, pid, start time, restarts, whether its counters are stale, and the config it runs. */
  status(): Array<Record<string, unknown>> {
    return this.#slots.map((s) => ({ id: s.id, pid: s.worker?.process.pid ?? null, started_at: s.worker === undefined ? null : new Date(s.startedAt).toISOString(), restarts: s.restarts, stale: s.stale, ...this.#deps.reloads.status(s.id) }));
  }

  /**
   * Asks every joined worker for its counters and resolves once all answered or `waitMs`
   * passed; a worker that did not answer by then is marked stale and counts with its last
   * snapshot (a late answer is still kept).
   */
  snapshot(waitMs: number): Promise<void> {
    const id = ++this.#snapshotId;
    const asked = this.#slots.filter((s) => s.joined && s.worker?.isConnected() === true);
    if (asked.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), waitMs);
      const finish = (): void => {
        clearTimeout(timer);
        const entry = this.#asked.get(id);
        this.#asked.delete(id);
        for (const s of this.#slots) if (entry?.pending.has(s.id) === true) s.stale = true;
        resolve();
      };
      this.#asked.set(id, { pending: new Set(asked.map((s) => s.id)), done: finish });
      for (const s of asked) s.worker!.send({ type: 'snapshot', id } satisfies ToWorker, undefined, {}, () => {});
    });
  }

  #answered(slot: Slot, id: number): void {
    slot.stale = false;
    const entry = this.#asked.get(id);
    entry?.pending.delete(slot.id);
    if (entry?.pending.size === 0) entry.done();
  }

  /** Asks every worker to drain and waits for all to exit; SIGKILLs those still running after `limitMs`. */
  async stop(limitMs: number): Promise<void> {
    this.#stopping = true;
    const live = this.#slots.flatMap((s) => {
      clearTimeout(s.timer);
      return s.worker === undefined || s.worker.isDead() ? [] : [s.worker];
    });
    const exited = live.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of live) if (w.isConnected()) w.send({ type: 'stop' } satisfies ToWorker, undefined, {}, () => {});
    const timer = setTimeout(() => live.forEach((w) => w.isDead() || w.process.kill('SIGKILL')), limitMs);
    await Promise.all(exited);
    clearTimeout(timer);
  }

  #fork(slot: Slot): void {
    const w = cluster.fork();
    slot.worker = w;
    slot.joined = false;
    slot.startedAt = this.#deps.clock.now();
    w.on('message', (m: unknown) => isFromWorker(m) && this.#onMessage(slot, w, m));
    w.once('exit', (code, signal) => this.#onExit(slot, w, code, signal));
  }

  #onMessage(slot: Slot, w: Worker, m: FromWorker): void {
    const log = this.#deps.log;
    if (m.type === 'hello') {
      w.send(this.#deps.init(), undefined, {}, () => {});
      slot.joined = true;
      this.#deps.reloads.joined(slot.id);
    } else if (m.type === 'ready') {
      log.info({ event: slot.restarts === 0 ? 'worker_started' : 'worker_restarted', worker: slot.id, worker_pid: w.process.pid, restarts: slot.restarts, listen: m.listen }, `worker ${slot.id} (pid ${w.process.pid}) serving`);
      const st = this.#starting;
      st?.pending.delete(slot.id);
      if (st !== undefined && st.pending.size === 0) {
        this.#starting = undefined;
        st.resolve(m.listen);
      }
    } else if (m.type === 'counters') {
      if (slot.worker !== w || !slot.joined) return;
      this.#deps.counters.record(slot.id, m.snapshot);
      this.#answered(slot, m.id);
    } else if (m.type === 'pin' || m.type === 'touch') {
      this.#deps.sessions?.(m, slot.id);
    } else if (m.type === 'failed') {
      log.error({ event: 'worker_failed', worker: slot.id, worker_pid: w.process.pid, error: m.error }, `worker ${slot.id} could not start: ${m.error}`);
      this.#starting?.reject(new Error(m.error));
    } else if (m.type === 'reloaded' && slot.worker === w) {
      this.#deps.reloads.answered(slot.id, w.process.pid ?? null, m);
    }
  }

  #onExit(slot: Slot, w: Worker, code: number | null, signal: string | null): void {
    const { clock, log } = this.#deps;
    slot.joined = false;
    this.#deps.counters.retire(slot.id);
    this.#deps.reloads.left(slot.id);
    // Its counts are in the retired total now: a snapshot round waiting for it need not.
    for (const id of [...this.#asked.keys()]) this.#answered(slot, id);
    const ranMs = clock.now() - slot.startedAt;
    log[this.#stopping ? 'info' : 'error']({ event: 'worker_exit', worker: slot.id, worker_pid: w.process.pid, code, signal, ran_ms: ranMs }, `worker ${slot.id} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`})`);
    if (this.#stopping) return;
    if (this.#starting !== undefined) return this.#starting.reject(new Error(`worker ${slot.id} exited while starting (${signal ?? `code ${code}`})`));
    const { delay, next } = restartDelay(slot.backoff, ranMs);
    slot.backoff = next;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#stopping) return;
      slot.restarts++;
      this.#deps.restarted();
      this.#fork(slot);
    }, delay);
  }
}
