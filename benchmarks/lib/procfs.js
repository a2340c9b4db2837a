// Reading a process's memory and sockets from /proc (Linux), for the soak benchmark
// (soak.js). The parsers are pure so the unit tests can feed them text.
import fs from 'node:fs';

/** VmRSS from the text of /proc/<pid>/status, in bytes; null when the line is missing. */
export function parseVmRss(statusText) {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(statusText);
  return m ? Number(m[1]) * 1024 : null;
}

/** The socket inodes among an fd folder's link targets (`socket:[12345]`). */
export function socketInodes(linkTargets) {
  const out = [];
  for (const t of linkTargets) {
    const m = /^socket:\[(\d+)\]$/.exec(t);
    if (m) out.push(m[1]);
  }
  return out;
}

// TCP states as /proc/net/tcp writes them (hex), from include/net/tcp_states.h.
const TCP_STATES = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN' };

/**
 * The rows of /proc/net/tcp (or tcp6) as inode -> { localPort, remotePort, state }. Ports
 * are the hex after the last ':' of each address; the inode is the 10th column.
 */
export function parseTcpTable(text) {
  const rows = new Map();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const port = (addr) => parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);
    rows.set(f[9], { localPort: port(f[1]), remotePort: port(f[2]), state: TCP_STATES[f[3]] ?? f[3] });
  }
  return rows;
}

/**
 * Sorts a process's sockets: `listening` (LISTEN), `toOrigins` (established, remote port one
 * of originPorts: pooled keep-alive connections and health checks), `fromClients` (local port
 * one of listenPorts, not listening: client connections), `other` (any other TCP state or
 * port, e.g. CLOSE_WAIT) and `nonTcp` (unix or udp sockets, not in the TCP tables).
 */
export function classifySockets(inodes, tcpRows, { listenPorts, originPorts }) {
  const c = { total: inodes.length, listening: 0, toOrigins: 0, fromClients: 0, other: 0, nonTcp: 0, otherStates: [] };
  for (const inode of inodes) {
    const r = tcpRows.get(inode);
    if (!r) c.nonTcp++;
    else if (r.state === 'LISTEN') c.listening++;
    else if (listenPorts.includes(r.localPort)) c.fromClients++;
    else if (r.state === 'ESTABLISHED' && originPorts.includes(r.remotePort)) c.toOrigins++;
    else {
      c.other++;
      c.otherStates.push(`${r.state} ${r.localPort}->${r.remotePort}`);
    }
  }
  return c;
}

/** The RSS of a live process, in bytes (null once it is gone). */
export function rssBytes(pid) {
  try {
    return parseVmRss(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

/** classifySockets for a live process: its fd links against /proc/<pid>/net/tcp and tcp6. */
export function processSockets(pid, ports) {
  const dir = `/proc/${pid}/fd`;
  const links = [];
  for (const fd of fs.readdirSync(dir)) {
    try {
      links.push(fs.readlinkSync(`${dir}/${fd}`));
    } catch {
      /* closed between readdir and readlink */
    }
  }
  const rows = new Map();
  for (const t of ['tcp', 'tcp6']) {
    try {
      for (const [k, v] of parseTcpTable(fs.readFileSync(`/proc/${pid}/net/${t}`, 'utf8'))) rows.set(k, v);
    } catch {
      /* no IPv6 */
    }
  }
  return classifySockets(socketInodes(links), rows, ports);
}
