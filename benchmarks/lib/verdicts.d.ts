// Types of verdicts.js, for its unit tests (the benchmarks themselves are plain JS).

/** One target's sample of one round, as lib/sample.js and backup.js record it. */
export interface Sample {
  error?: string;
  rps?: number | null;
  cpuUsPerReq?: number | null;
  p99?: number;
  non2xx?: number;
  errors?: number;
  timeouts?: number;
  snapshots?: number;
  /** run.js: autocannon (the bench process) was at ≥ 90% of a core during the measured load. */
  loadgenBound?: boolean;
}
export type Samples = Record<string, Sample[]>;
export interface Verdict {
  pass: boolean | null;
  reasons: string[];
}
export interface SnapshotLine {
  time: number;
  duration_ms: number;
}

export const MIN_ROUNDS: number;
export function faultsOf(name: string, samples: Sample[]): string | null;
export function comparison(samples: Samples, name: string, base: string): { rounds: { round: number; rps: number; cpuPerReq: number; p99: number | null }[]; reasons: string[] };
export function medianRatios(
  samples: Samples,
  name: string,
  base: string,
): { reasons: string[]; rounds: { round: number; rps: number; cpuPerReq: number; p99: number | null }[]; cpu: number | null; rps: number | null; p99: number | null };
export function ratioVerdict(
  samples: Samples,
  goals: { cpuRatioMax: number; rpsRatioMin: number },
  name?: string,
  base?: string,
): Verdict & { rounds: number; cpuRatio: number | null; rpsRatio: number | null; cpuOk?: boolean; rpsOk?: boolean };
export function snapshotOverlap(snaps: SnapshotLine[], t0: number, t1: number): { count: number; durationsMs: number[]; coveredMs: number };
export function p99Verdict(samples: { none: Sample[]; snapshots: Sample[] }, ratioMax: number): Verdict & { ratio: number | null; perRound: (number | null)[] };
export function reloadVerdict(
  m: {
    latency: { applied: number; rejected: number; failed: number; maxMs: number | null };
    load: { reloadsApplied: number; reloadsRejected: number; errors: number; timeouts: number; non2xx: number };
  },
  goals: { saveToServeMaxMs: number; errorsUnderLoad: number; non2xxUnderLoad: number },
): { saveToServe: Verdict; underLoad: Verdict };
