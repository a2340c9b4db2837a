/**
 * bufferBody's temp file (src/proxy/request-body.ts) in the orderings the integration tests
 * only meet by chance: the client going away while a file write is under way, and a short
 * write (a full disk). Real temp files; the body comes from a stream the test feeds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BulwarkError } from '../../../src/core/errors.js';
import { FileBody, bufferBody, type BodyBufferSettings, type BufferedBody } from '../../../src/proxy/request-body.js';
import { holdFirstWrite, shortenFirstWrite } from '../../helpers/fs-order.js';
import { useHarness } from '../../helpers/harness.js';
import { waitFor } from '../../helpers/net.js';

const h = useHarness();
const KB = 1024;
afterEach(() => void vi.restoreAllMocks());

async function settings(): Promise<BodyBufferSettings> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-body-unit-'));
  h.defer(() => rm(dir, { recursive: true, force: true }));
  return { memory: 16 * KB, toFile: true, dir, max: 64 * 1024 * KB };
}

describe('bufferBody', () => {
  it('the file is closed only once no write to it is in flight (a file opened meanwhile could get its number, and the write)', async () => {
    const w = holdFirstWrite();
    const src = new PassThrough();
    const cancel = bufferBody(src, await settings(), () => {});
    src.write(Buffer.alloc(64 * KB, 'a'));
    await waitFor(() => w.fd !== undefined, 10_000, 'a file write');
    cancel(); // the client went away
    w.release();
    await waitFor(() => w.closes.some((x) => x.fd === w.fd), 10_000, 'the file closed');
    expect(w.closes.filter((x) => x.whileHeld)).toEqual([]);
  });

  it('a short write (a full disk) is a BLWK_BUFFER_IO error, not a body with a hole in it', async () => {
    shortenFirstWrite(100);
    const src = new PassThrough();
    let result: { err: BulwarkError | null; body?: BufferedBody } | undefined;
    bufferBody(src, await settings(), (err, body) => (result = { err, body }));
    src.write(Buffer.alloc(64 * KB, 'a'));
    src.end(Buffer.alloc(64 * KB, 'b'));
    await waitFor(() => result !== undefined, 10_000, 'the body buffered');
    if (result!.body instanceof FileBody) result!.body.close();
    expect(result!.err?.code).toBe('BLWK_BUFFER_IO');
    expect(result!.err?.message).toMatch(/short write/);
  });
});
