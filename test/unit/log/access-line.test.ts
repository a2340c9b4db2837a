/**
 * The access line has two writers: bytes straight into the batch buffer (the common line)
 * and a string (anything that needs escaping). Both must give exactly the line a JSON
 * serialiser would, field for field.
 */
import { describe, expect, it } from 'vitest';
import { AccessLineWriter, accessLineBound, accessLineText } from '../../../src/log/access-line.js';
import type { AccessRecord } from '../../../src/proxy/access-record.js';
import { record } from './fixtures.js';

/** A pid of the most digits Linux hands out (pid_max is at most 2^22). */
const PID = 4194303;

/** The reference: the same fields through JSON.stringify, in the same order (pino's: pid after time). */
function reference(r: AccessRecord, pid = PID): string {
  const o: Record<string, unknown> = { level: 30, time: r.time, pid, msg: 'access', method: r.method, path: r.path, protocol: r.protocol, status: r.status };
  Object.assign(o, { upstream: r.upstream ?? null, server: r.server ?? null, duration_ms: Math.round(r.duration_ms * 1000) / 1000, request_id: r.request_id });
  Object.assign(o, { client: r.client || null, host: r.host || null, bytes_in: r.bytes_in, bytes_out: r.bytes_out, attempts: r.attempts });
  if (r.steer !== '') o['steer'] = r.steer;
  if (r.error !== '') o['error'] = r.error;
  if (r.detail !== '') o['detail'] = r.detail;
  return `${JSON.stringify(o)}\n`;
}

const writer = new AccessLineWriter(PID);

function inPlace(r: AccessRecord, w = writer): string | undefined {
  const buf = Buffer.alloc(accessLineBound(r) + 10, 0xff);
  const end = w.write(buf, 5, r);
  if (end < 0) return undefined;
  expect(end - 5).toBeLessThanOrEqual(accessLineBound(r));
  return buf.toString('utf8', 5, end);
}

describe('access line', () => {
  it('writes the common line in place, byte for byte as the reference', () => {
    const cases: Array<Partial<AccessRecord>> = [
      {},
      { duration_ms: 0 },
      { duration_ms: 0.0004 },
      { duration_ms: 0.001 },
      { duration_ms: 0.05 },
      { duration_ms: 0.105 },
      { duration_ms: 1.5 },
      { duration_ms: 10 },
      { duration_ms: 123.4567 },
      { duration_ms: 30000.999 },
      { status: 502, upstream: 'dead', server: 'dead-1', error: 'BLWK_UPSTREAM_CONNECT' },
      { status: 404, upstream: undefined, server: undefined, method: 'DELETE' },
      { status: 503, server: undefined },
      { path: '/a%22b/~!$&\'()*+,;=:@', request_id: 'my-id-1' },
      { time: 1, status: 100 },
      { time: 1795859252324 },
      { time: 1795859252324, status: 599 },
      // Around the split between cached high digits and the last six.
      { time: 999999 },
      { time: 1000000 },
      { time: 1000001 },
      { time: 1795859000000 },
      { time: 1795858999999 },
      { time: 1795859000001 },
      { time: Number.MAX_SAFE_INTEGER },
      // The client's address and Host, the byte counts, attempts and what steered the choice.
      { client: '::ffff:10.1.2.3', host: 'api.example.com:8443', bytes_in: 0, bytes_out: 2 ** 31 - 1, attempts: 3 },
      { client: '', host: '', attempts: 0, bytes_in: 1 },
      { steer: 'sticky' },
      { steer: 'repin(web-2:ejected),queued', error: 'BLWK_CLIENT_ABORTED', status: 499 },
    ];
    for (const c of cases) {
      const r = record(c);
      expect(inPlace(r)).toBe(reference(r));
      expect(accessLineText(r, PID)).toBe(reference(r));
    }
  });

  it('declines what needs escaping or is not ASCII; the text line escapes it', () => {
    const cases: Array<Partial<AccessRecord>> = [
      { path: '/"quoted"\\back' },
      { path: '/caf\u00e9' },
      { path: '/tab\there' },
      { path: '/del\u007f' },
      { request_id: 'id"with"quotes' },
      { request_id: 'back\\slash' },
      { duration_ms: 2200000 },
      { status: 1000 },
      // Host comes from the client: quotes, backslashes, control and non-ASCII bytes are escaped.
      { host: 'a"b\\c' },
      { host: 'evil\u0001\t\r\nhost' },
      { host: 'h\u00e9llo.example' },
      { host: `x${'"'.repeat(5000)}${'y'.repeat(60_000)}` },
      // A tunnel's bytes past 2 GiB.
      { bytes_in: 2 ** 31 },
      { bytes_out: 5 * 2 ** 32 + 7 },
      // Failed requests carry a free-text detail (it may name servers: log only).
      { status: 502, error: 'BLWK_UPSTREAM_CONNECT', detail: 'upstream dead-1: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' },
      { status: 503, server: undefined, error: 'BLWK_NO_SERVER', detail: 'no server available in upstream "web" (a: ejected)\n\u2028' },
    ];
    for (const c of cases) {
      const r = record(c);
      expect(inPlace(r)).toBeUndefined();
      expect(accessLineText(r, PID)).toBe(reference(r));
    }
  });

  it('carries the pid of the process, as every other log line does', () => {
    const r = record();
    for (const pid of [1, 42, process.pid, 2 ** 31 - 1]) {
      expect(inPlace(r, new AccessLineWriter(pid))).toBe(reference(r, pid));
      expect(accessLineText(r, pid)).toBe(reference(r, pid));
    }
  });

  it('writes lines whose times flip between neighbouring milliseconds', () => {
    // Lines are written as requests end, stamped with their arrival: times interleave.
    for (const t of [1795859252323, 1795859252322, 1795859252324, 1795858999999, 1795859000000, 1795858999999, 42, 1795859252323]) {
      const r = record({ time: t });
      expect(inPlace(r)).toBe(reference(r));
    }
  });

  it('agrees with the reference over many random durations and times', () => {
    for (let i = 0; i < 2000; i++) {
      const r = record({ duration_ms: Math.random() * 10 ** Math.floor(Math.random() * 6), time: Math.floor(Math.random() * 2e12), status: 100 + Math.floor(Math.random() * 500) });
      expect(inPlace(r)).toBe(reference(r));
    }
  });
});
