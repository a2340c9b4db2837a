/**
 * @module test/unit/health/probe-tcp.test
 * The tcp check: a connection that opens is healthy and is closed at once without a byte
 * written; a refused port fails, and `fall` such failures take the server down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { refusingPort } from '../../helpers/origin.js';
import { advanceAndCheck, checkConfig, checkOnce, closeAll, closed, nextResult, rig, tcpOrigin, until } from './fixtures.js';

afterEach(closeAll);

describe('tcp check', () => {
  it('passes when the port accepts, then closes the connection at once without writing', async () => {
    const origin = await tcpOrigin();
    const result = await checkOnce(origin.url, checkConfig({ type: 'tcp' }));
    expect(result).toMatchObject({ ok: true, detail: 'TCP connect ok' });
    await until(() => origin.sockets.length === 1);
    await closed(origin.sockets[0]!);
    expect(origin.received).toEqual([]);
  });

  it('fails on a refused port and takes the server down after `fall` failures', async () => {
    const port = await refusingPort();
    const r = rig(`http://127.0.0.1:${port}`, checkConfig({ type: 'tcp', fall: 2 }));
    const first = nextResult(r.checker);
    r.checker.start();
    expect(await first).toMatchObject({ ok: false, detail: 'connect ECONNREFUSED' });
    await advanceAndCheck(r, 1000);
    expect(r.server.flags.get('failed_health_check')?.reason).toBe('2 consecutive check failures: connect ECONNREFUSED');
  });
});
