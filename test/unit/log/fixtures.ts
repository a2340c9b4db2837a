/** A typical access record for the log unit tests, with `over` replacing fields. */
import type { AccessRecord } from '../../../src/proxy/access-record.js';

export function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    time: 1795859252323,
    method: 'GET',
    path: '/x?y=1',
    protocol: 'HTTP/1.1',
    status: 200,
    upstream: 'web',
    server: 'web-1',
    duration_ms: 2.01,
    request_id: '4b492b07-c40b-4948-a527-f18b8e0ebe38',
    error: '',
    detail: '',
    client: '127.0.0.1',
    host: 'shop.example.com',
    bytes_in: 180,
    bytes_out: 1432,
    attempts: 1,
    steer: '',
    ...over,
  };
}
