/**
 * Orderings of temp file operations that the thread pool produces only by chance (a write
 * finishing after a later one, a close while a write is pending, a short pwrite), made
 * certain for a test: the real fs.write and fs.close run, only held back or shortened.
 * The test file restores them with `vi.restoreAllMocks()` after each test.
 */
import fs from 'node:fs';
import { vi } from 'vitest';

const realWrite = fs.write as (...a: unknown[]) => void;
const realClose = fs.close;

export interface HeldWrite {
  /** The descriptor of the held write; undefined until one is made. */
  readonly fd: number | undefined;
  /** Lets the held write run. */
  release(): void;
  /** Every fs.close so far, and whether it closed the held write's file before the write ran. */
  readonly closes: ReadonlyArray<{ fd: number; whileHeld: boolean }>;
}

/** Holds back the next fs.write (the rest run at once) until `release()`, and records closes. */
export function holdFirstWrite(): HeldWrite {
  let held: { fd: number; go: () => void } | undefined;
  let released = false;
  const closes: Array<{ fd: number; whileHeld: boolean }> = [];
  vi.spyOn(fs, 'write').mockImplementation(((fd: number, ...rest: unknown[]) => {
    if (held !== undefined) return realWrite(fd, ...rest);
    held = { fd, go: () => realWrite(fd, ...rest) };
  }) as typeof fs.write);
  vi.spyOn(fs, 'close').mockImplementation(((fd: number, cb: fs.NoParamCallback) => {
    closes.push({ fd, whileHeld: fd === held?.fd && !released });
    realClose(fd, cb);
  }) as typeof fs.close);
  return {
    get fd() {
      return held?.fd;
    },
    release(): void {
      if (released || held === undefined) return;
      released = true;
      held.go();
    },
    closes,
  };
}

/** Makes the next fs.write write `by` bytes fewer than asked and report it, as pwrite(2) may on a full disk. */
export function shortenFirstWrite(by: number): void {
  let shortened = false;
  vi.spyOn(fs, 'write').mockImplementation(((fd: number, buf: Buffer, off: number, len: number, pos: number, cb: unknown) => {
    realWrite(fd, buf, off, shortened ? len : len - by, pos, cb);
    shortened = true;
  }) as typeof fs.write);
}
