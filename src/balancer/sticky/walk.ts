/**
 * @module balancer/sticky/walk
 * A resumable walk over a stick table's keys, least recently used first, that can pause
 * between steps while requests keep using the table: the sliced session export runs on
 * it, so a snapshot never holds the event loop for a pass over the whole table.
 *
 * lru-cache's key iterator follows its recency list from the entry it stands on (the
 * cursor). Other entries may move, come and go between steps (the list stays linked
 * around the cursor, and entries moved or added to the recent end are met later); only
 * the cursor's own entry moving or going away breaks the thread. StickyTable reports
 * exactly that (`disturbed`), and the next step starts a fresh iterator from the least
 * recent end, skipping keys already given. So every key live for the whole walk is given
 * exactly once; one added meanwhile is given if reached, one gone before reached is not.
 * The caller must close() a walk it abandons (the table keeps telling it about changes).
 */

export class KeyWalk {
  #iter: Iterator<string>;
  readonly #fresh: () => Iterator<string>;
  readonly #onClose: (w: KeyWalk) => void;
  readonly #seen = new Set<string>();
  #done = false;
  /** The key the iterator stands on (the last it produced, given or skipped). */
  cursor: string | undefined;
  /** Set by the table when the cursor's entry moved or went away. */
  disturbed = false;
  /** Times the walk started over (for tests and curiosity). */
  restarts = 0;

  /**
   * @param fresh a new iterator over the table's live keys, least recently used first.
   * @param onClose called once when the walk ends or is closed.
   */
  constructor(fresh: () => Iterator<string>, onClose: (w: KeyWalk) => void) {
    this.#fresh = fresh;
    this.#iter = fresh();
    this.#onClose = onClose;
  }

  /** True once every key has been given (or the walk was closed). */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Up to `max` keys not given before. May give fewer, even none, without being done:
   * a step after a restart skips at most `4 * max` keys already given, to stay short.
   */
  next(max: number): string[] {
    const keys: string[] = [];
    if (this.#done) return keys;
    if (this.disturbed) {
      this.disturbed = false;
      this.restarts++;
      this.#iter = this.#fresh();
    }
    for (let steps = 0; keys.length < max && steps < 4 * max; steps++) {
      const r = this.#iter.next();
      if (r.done === true) {
        this.close();
        break;
      }
      const key = r.value;
      this.cursor = key;
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      keys.push(key);
    }
    return keys;
  }

  /** Ends the walk; the table stops reporting to it. Idempotent. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#seen.clear();
    this.#onClose(this);
  }
}
