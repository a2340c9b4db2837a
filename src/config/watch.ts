/**
 * @module config/watch
 * Notices edits to the config file. The folder is watched (not only the file) because
 * editors often save by writing a temp file and renaming it over the original, which
 * replaces the inode a file watch follows. Events are debounced, and the file must then be
 * stable (same size and mtime across `settleMs`) before the change is reported, so a
 * file still being written is not read half-way. (A writer that pauses longer than that
 * mid-file can still be caught; the validator then rejects the partial file unless it
 * happens to be a complete, valid config, and the next write triggers another reload.)
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface WatchOptions {
  /** Quiet period after the last event before checking the file, ms. */
  readonly debounceMs?: number;
  /** How long the file's size and mtime must stay the same, ms. */
  readonly settleMs?: number;
}

async function fingerprint(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export class ConfigWatcher {
  readonly #file: string;
  readonly #onChange: () => void;
  readonly #debounce: number;
  readonly #settle: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(file: string, onChange: () => void, opts: WatchOptions = {}) {
    this.#file = file;
    this.#onChange = onChange;
    this.#debounce = opts.debounceMs ?? 50;
    this.#settle = opts.settleMs ?? 50;
  }

  start(): void {
    const name = basename(this.#file);
    this.#watcher = watch(dirname(this.#file), { persistent: false }, (_event, changed) => {
      // Some platforms omit the name; then any change in the folder is a candidate.
      if (changed === null || changed === name) this.#schedule();
    });
    this.#watcher.on('error', () => {
      // The folder went away; nothing to watch until a restart.
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#check(), this.#debounce);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const before = await fingerprint(this.#file);
    await new Promise((r) => setTimeout(r, this.#settle).unref());
    if (this.#closed) return;
    const after = await fingerprint(this.#file);
    if (before !== after) return this.#schedule(); // still being written
    if (after === 'missing') return; // mid-rename, or deleted: keep serving the old config
    this.#onChange();
  }
}
