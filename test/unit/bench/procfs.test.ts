/**
 * The soak benchmark's /proc readers (benchmarks/lib/procfs.js): RSS from /proc/<pid>/status
 * and the sorting of a process's sockets by /proc/net/tcp, on sample text and on this process.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifySockets, parseTcpTable, parseVmRss, processSockets, rssBytes, socketInodes } from '../../../benchmarks/lib/procfs.js';

const STATUS = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmRSS:\t  120560 kB\nRssAnon:\t   90000 kB\n';
const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0',
  '   1: 0100007F:C350 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0 20 4 30 10 -1',
  '   2: 0100007F:1F90 0100007F:D000 01 00000000:00000000 00:00000000 00000000     0        0 103 1 0 20 4 30 10 -1',
  '   3: 0100007F:C351 0100007F:0BB9 08 00000000:00000000 00:00000000 00000000     0        0 104 1 0 20 4 30 10 -1',
].join('\n');

describe('parseVmRss', () => {
  it('reads VmRSS in bytes, and null when the line is missing', () => {
    expect(parseVmRss(STATUS)).toBe(120560 * 1024);
    expect(parseVmRss('Name:\tzombie\nState:\tZ\n')).toBeNull();
  });
});

describe('sockets', () => {
  it('keeps only socket links', () => {
    expect(socketInodes(['/dev/null', 'socket:[101]', 'pipe:[7]', 'anon_inode:[eventpoll]', 'socket:[102]'])).toEqual(['101', '102']);
  });

  it('parses ports, state and inode of each row', () => {
    const rows = parseTcpTable(TCP);
    expect(rows.get('101')).toEqual({ localPort: 8080, remotePort: 0, state: 'LISTEN' });
    expect(rows.get('102')).toEqual({ localPort: 50000, remotePort: 3000, state: 'ESTABLISHED' });
    expect(rows.get('104')?.state).toBe('CLOSE_WAIT');
  });

  it('sorts listeners, pooled connections to origins, client connections and the rest', () => {
    const c = classifySockets(['101', '102', '103', '104', '999'], parseTcpTable(TCP), { listenPorts: [8080], originPorts: [3000, 3001] });
    expect(c).toMatchObject({ total: 5, listening: 1, toOrigins: 1, fromClients: 1, other: 1, nonTcp: 1 });
    expect(c.otherStates).toEqual(['CLOSE_WAIT 50001->3001']);
  });

  it('reads this process: its RSS and a listener it opens', async () => {
    expect(rssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const c = processSockets(process.pid, { listenPorts: [port], originPorts: [] });
      expect(c.listening).toBeGreaterThanOrEqual(1);
      expect(c.fromClients).toBe(0);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
