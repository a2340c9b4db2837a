// Types of procfs.js, for its unit tests (the benchmarks themselves are plain JS).
export interface TcpRow {
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: string;
}
export interface SocketCounts {
  total: number;
  listening: number;
  toOrigins: number;
  fromClients: number;
  other: number;
  nonTcp: number;
  otherStates: string[];
}
export interface Ports {
  readonly listenPorts: number[];
  readonly originPorts: number[];
}
export function parseVmRss(statusText: string): number | null;
export function socketInodes(linkTargets: string[]): string[];
export function parseTcpTable(text: string): Map<string, TcpRow>;
export function classifySockets(inodes: string[], tcpRows: Map<string, TcpRow>, ports: Ports): SocketCounts;
export function rssBytes(pid: number): number | null;
export function processSockets(pid: number, ports: Ports): SocketCounts;
