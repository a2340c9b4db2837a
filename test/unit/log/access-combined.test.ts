/**
 * The combined access line: its exact shape, and escaping that keeps one request on one
 * line with its fields where a parser looks for them, whatever the client sent.
 */
import { describe, expect, it } from 'vitest';
import { CombinedLineWriter, combinedLineBound, combinedLineText } from '../../../src/log/access-combined.js';
import type { AccessRecord } from '../../../src/proxy/access-record.js';
import { record } from './fixtures.js';

/** 04 Dec 2026 20:11:28.323 UTC. */
const TIME = Date.UTC(2026, 11, 4, 20, 11, 28, 323);

const lines = new CombinedLineWriter();

/** The line through the in-place writer, checked to stay within its bound. */
function line(r: AccessRecord): string {
  const bound = combinedLineBound(r);
  const buf = Buffer.alloc(bound + 8, 0xee);
  const end = lines.write(buf, 4, r);
  expect(end - 4).toBeLessThanOrEqual(bound);
  expect(buf[end]).toBe(0xee);
  const text = buf.toString('latin1', 4, end);
  expect(combinedLineText(lines, r)).toBe(text);
  return text;
}

describe('combined access line', () => {
  it('has the nginx combined shape, then bulwark fields as key=value', () => {
    expect(line(record({ time: TIME }))).toBe(
      '127.0.0.1 - - [04/Dec/2026:20:11:28 +0000] "GET /x?y=1 HTTP/1.1" 200 - "-" "-" upstream=web server=web-1 duration_ms=2.01 request_id=4b492b07-c40b-4948-a527-f18b8e0ebe38 host=shop.example.com bytes_in=180 bytes_out=1432 attempts=1\n',
    );
    expect(line(record({ time: TIME, client: '::1', steer: 'repin(web-2:ejected),queued', attempts: 2, bytes_out: 2 ** 33 }))).toMatch(
      /^::1 - - \[.* attempts=2 steer=repin\(web-2:ejected\),queued\n$/,
    );
    expect(line(record({ bytes_out: 2 ** 33 }))).toContain(' bytes_out=8589934592 ');
  });

  it('writes "-" for a missing upstream and server, and the error and detail of a failure', () => {
    const failed = { status: 503, upstream: undefined, server: undefined, duration_ms: 0, error: 'BLWK_NO_SERVER', detail: 'no server available: o1: disabled "by admin"' };
    const r = record({ time: Date.UTC(2027, 0, 9, 3, 4, 5), ...failed, client: '', host: '', attempts: 0 });
    expect(line(r)).toBe(
      '- - - [09/Jan/2027:03:04:05 +0000] "GET /x?y=1 HTTP/1.1" 503 - "-" "-" upstream=- server=- duration_ms=0 request_id=4b492b07-c40b-4948-a527-f18b8e0ebe38 host=- bytes_in=180 bytes_out=1432 attempts=0 error=BLWK_NO_SERVER detail="no server available: o1: disabled \\x22by admin\\x22"\n',
    );
  });

  it('escapes quotes, backslashes, control characters and bytes above 0x7e so no line or field can be forged', () => {
    const forged = '/a" 200 - "-" "-" upstream=web\n- - - [01/Jan/2026:00:00:00 +0000] "GET /admin -" 200\\\x7f\xe9%0a\u20ac';
    const text = line(record({ time: TIME, path: forged, request_id: 'id with spaces\r\n' }));
    expect(text.split('\n')).toHaveLength(2); // one line, then the "" after its newline
    expect(text).toMatch(/^[\x20-\x7e]*\n$/);
    expect(text).toContain('"GET /a\\x22\\x20200\\x20-\\x20\\x22-\\x22');
    expect(text).toContain('\\x5c\\x7f\\xe9%0a\\u20ac HTTP/1.1" 200 ');
    expect(text).toContain(' request_id=id\\x20with\\x20spaces\\x0d\\x0a host=');
    // The fields a combined-log parser reads are still the real ones.
    const m = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+) "([^"]*)" "([^"]*)"/.exec(text);
    expect(m?.[6]).toBe('200');
    expect(m?.[5]?.startsWith('GET /a\\x22')).toBe(true);
  });

  it('escapes a Host with quotes, spaces, control characters or a huge value, keeping one line and the fields after it', () => {
    const hosts = ['a" b=c', 'x\r\n127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /admin -" 200', `big${'"'.repeat(3000)}${'h'.repeat(60_000)}`, '\u00e9\u0001\t'];
    for (const host of hosts) {
      const text = line(record({ time: TIME, host }));
      expect(text.split('\n')).toHaveLength(2);
      expect(text).toMatch(/^[\x21-\x7e][\x20-\x7e]*\n$/);
      // host=VALUE is one space-free token, and the fields after it are intact.
      expect(text).toMatch(/ host=\S+ bytes_in=180 bytes_out=1432 attempts=1\n$/);
      expect(text.startsWith('127.0.0.1 - - [04/Dec/2026:20:11:28 +0000] "GET /x?y=1 HTTP/1.1" 200 ')).toBe(true);
    }
    expect(line(record({ host: 'a" b' }))).toContain(' host=a\\x22\\x20b ');
  });

  it('keeps the date right across seconds, days and years', () => {
    for (const t of [Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1, 0, 0, 0, 0), Date.UTC(2028, 1, 29, 12, 0, 1, 500), 0]) {
      const d = new Date(t);
      const want = `${String(d.getUTCDate()).padStart(2, '0')}/${d.toUTCString().slice(8, 11)}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)}`;
      expect(line(record({ time: t }))).toContain(`[${want} +0000]`);
    }
  });
});
