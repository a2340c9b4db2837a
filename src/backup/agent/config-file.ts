/**
 * @module backup/agent/config-file
 * Putting a snapshot's config back: the atomic write (a temp file in the same folder,
 * fsynced, renamed over the file, then the folder fsynced), keeping the replaced file beside
 * it as `<file>.bak-<timestamp>`, and the line diff `restore --dry-run` prints.
 */
import { constants } from 'node:fs';
import { copyFile, link, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A line diff of `before` → `after` (longest common subsequence): only changed lines, "-"
 * removed and "+" added, each run headed by `@@ -<line in before> +<line in after> @@`.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  // lcs[i * (m + 1) + j]: length of the LCS of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let inRun = false;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
      inRun = false;
      continue;
    }
    if (!inRun) out.push(`@@ -${i + 1} +${j + 1} @@`);
    inRun = true;
    if (i < n && (j >= m || lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) out.push(`-${a[i++]}`);
    else out.push(`+${b[j++]}`);
  }
  return out;
}

/** `20261128T100000123Z`: a timestamp safe in file names that sorts by time. */
export function fileStamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `file` with `text` atomically. The replaced file is kept as `<file>.bak-<stamp>`
 * (returned; undefined when there was no file). The new file keeps the old one's mode.
 */
export async function writeConfigAtomically(file: string, text: string, now: Date): Promise<string | undefined> {
  const old = await stat(file).catch(() => undefined);
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.restore-${process.pid}-${Date.now()}.tmp`);
  try {
    const fh = await open(tmp, 'wx', old === undefined ? 0o644 : old.mode & 0o777);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    let bak: string | undefined;
    if (old !== undefined) {
      bak = `${file}.bak-${fileStamp(now)}`;
      // A hard link keeps the very file that is replaced; copy where links are not allowed.
      await link(file, bak).catch(() => copyFile(file, bak!, constants.COPYFILE_EXCL));
    }
    await rename(tmp, file);
    await fsyncDir(dir);
    return bak;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
