/**
 * LineWriter batches log lines into buffers and writes them to a real file descriptor:
 * every line must come out whole, once, in order, whatever the batch boundaries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineWriter } from '../../../src/log/line-writer.js';

let dir: string;
let file: string;
let fd: number;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-linewriter-'));
  file = path.join(dir, 'out.log');
  fd = fs.openSync(file, 'w');
});

afterEach(() => {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('LineWriter', () => {
  it('writes every line once and in order across many batches', async () => {
    const w = new LineWriter({ fd, batchBytes: 1024 });
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const line = `{"n":${i},"pad":"${'x'.repeat(i % 97)}"}\n`;
      lines.push(line);
      expect(w.write(line)).toBe(true);
    }
    await w.flush();
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('encodes as UTF-8, including lines longer than a batch buffer', async () => {
    const w = new LineWriter({ fd, batchBytes: 256 });
    const long = `{"msg":"${'é€😀'.repeat(500)}"}\n`;
    const lines = ['{"a":"ünïcödé"}\n', long, '{"b":"after"}\n', long];
    for (const l of lines) w.write(l);
    await w.flush();
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('drops lines past maxBuffered and says how many, in-band', async () => {
    const w = new LineWriter({ fd, batchBytes: 1 << 20, maxBuffered: 100, flushMs: 60_000 });
    const line = `${'y'.repeat(39)}\n`;
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (w.write(line)) accepted++;
    expect(accepted).toBe(3); // 0, 40 and 80 bytes queued before each: the 4th sees 120 > 100
    await w.flush();
    w.close();
    const out = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(out.slice(0, 3)).toEqual([line.trim(), line.trim(), line.trim()]);
    expect(JSON.parse(out[3]!)).toMatchObject({ level: 40, dropped: 7 });
  });

  it('writes pending lines synchronously with flushSync', () => {
    const w = new LineWriter({ fd, flushMs: 60_000 });
    w.write('one\n');
    w.write('two\n');
    w.flushSync();
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('writeWith writes lines in place, in order with text lines, and leaves nothing of a declined one', async () => {
    const w = new LineWriter({ fd, batchBytes: 300 });
    const fill = (buf: Buffer, at: number, n: number): number => {
      if (n % 7 === 0) {
        buf.write('garbage', at);
        return -1;
      }
      return at + buf.write(`{"n":${n}}\n`, at, 'latin1');
    };
    let expected = '';
    for (let n = 1; n < 500; n++) {
      if (n % 5 === 0) {
        w.write(`{"text":${n}}\n`);
        expected += `{"text":${n}}\n`;
      } else if (w.writeWith(32, fill, n)) expected += `{"n":${n}}\n`;
      else expect(n % 7).toBe(0);
    }
    await w.flush();
    w.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(expected);
  });
});
