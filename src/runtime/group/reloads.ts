/**
 * @module runtime/group/reloads
 * Which config each worker of a group runs. The primary validates and applies a config,
 * then sends its text to every worker, which applies it through its own reload plan and
 * answers with the outcome. The same text passed the same validation on the primary, so a
 * worker refusing it is a resource problem (a listen address it cannot bind) or a bug: that
 * worker keeps serving its previous config, and the primary must say so (logged as
 * `worker_reload_rejected`, shown per worker in /status, and in the reload's outcome)
 * rather than report the group as applied.
 */
import type pino from 'pino';
import type { WorkerRejection } from '../reload.js';
import type { FromWorker } from './messages.js';

type ReloadedMessage = Extract<FromWorker, { type: 'reloaded' }>;

interface Slot {
  /** The primary's config version this worker runs. */
  version: number;
  /** Its last refusal, until it runs a later version. */
  error: { version: number; at: string; errors: readonly string[] } | undefined;
}

interface Waiting {
  /** The config message's id: a worker's answer names it (the same version may be sent twice: a retry). */
  readonly id: number;
  readonly pending: Set<number>;
  readonly rejected: WorkerRejection[];
  readonly done: () => void;
}

export class GroupReloads {
  readonly #log: pino.Logger;
  readonly #version: () => number;
  readonly #now: () => number;
  /** The workers that have joined (got the group's config), by slot id. */
  readonly #slots = new Map<number, Slot>();
  /** The outcomes waiting for answers, by config message id. */
  readonly #waiting = new Map<number, Waiting>();
  #lastId = 0;

  /** `version` gives the primary's running config version (what a joining worker is sent). */
  constructor(log: pino.Logger, version: () => number, now: () => number) {
    this.#log = log;
    this.#version = version;
    this.#now = now;
  }

  /** Worker `slot` was sent the running config (its init): it runs that version. */
  joined(slot: number): void {
    this.#slots.set(slot, { version: this.#version(), error: undefined });
  }

  /** Worker `slot` exited: no answer will come (a restarted one joins with the running config). */
  left(slot: number): void {
    this.#slots.delete(slot);
    for (const w of this.#waiting.values()) this.#settle(w, slot);
  }

  /** Worker `slot` (process `pid`) answered config message `m.id` (config `m.version`); a refusal is logged. */
  answered(slot: number, pid: number | null, m: ReloadedMessage): void {
    const s = this.#slots.get(slot);
    if (s === undefined) return;
    const w = this.#waiting.get(m.id);
    if (m.outcome.result === 'rejected') {
      const errors = m.outcome.errors ?? [];
      s.error = { version: m.version, at: new Date(this.#now()).toISOString(), errors };
      w?.rejected.push({ worker: slot, pid, errors });
      this.#log.error(
        { event: 'worker_reload_rejected', worker: slot, worker_pid: pid, version: m.version, running_version: s.version, errors },
        `worker ${slot} (pid ${pid}) rejected config version ${m.version}, still running version ${s.version}:\n${errors.join('\n')}`,
      );
    } else if (m.version > s.version) {
      s.version = m.version;
      s.error = undefined;
    }
    if (w !== undefined) this.#settle(w, slot);
  }

  /**
   * Sends a config to every joined worker (`send` broadcasts it with the id given) and waits
   * until each has answered, or `waitMs` passed; resolves with the refusals so far and the
   * workers yet to answer (a later refusal is still logged and shown in /status).
   */
  send(send: (id: number) => void, waitMs: number): Promise<{ rejected: WorkerRejection[]; late: number[] }> {
    const id = ++this.#lastId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), waitMs);
      const w: Waiting = { id, pending: new Set(this.#slots.keys()), rejected: [], done: () => finish() };
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve({ rejected: w.rejected, late: [...w.pending].sort((a, b) => a - b) });
      };
      this.#waiting.set(id, w);
      send(id);
      if (w.pending.size === 0) finish();
    });
  }

  /** Whether a joined worker runs an older config than the primary's (it refused one, or has not answered yet). */
  behind(): boolean {
    const now = this.#version();
    return [...this.#slots.values()].some((s) => s.version < now);
  }

  /** /status's view of worker `slot`: the config version it runs and its last refusal. */
  status(slot: number): { config_version: number | null; reload_error: Slot['error'] | null } {
    const s = this.#slots.get(slot);
    return { config_version: s?.version ?? null, reload_error: s?.error ?? null };
  }

  #settle(w: Waiting, slot: number): void {
    w.pending.delete(slot);
    if (w.pending.size === 0) w.done();
  }
}
