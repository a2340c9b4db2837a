// Types of percentile.js, for its unit tests (the benchmarks themselves are plain JS).
export function percentile(sorted: readonly number[], q: number): number | null;
