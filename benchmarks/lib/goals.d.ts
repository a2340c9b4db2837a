// Types of goals.js, for its unit tests (the benchmarks themselves are plain JS).
import type { Samples } from './verdicts.js';

export const FULL_GOALS: { cpuRatioMax: number; rpsRatioMin: number };
export const FEATURE_COST: { cpuRatioMax: number; p99RatioMax: number };
export const SCALING_MIN: number;
export const NGINX_WORKERS: number;
export function cpuCount(list: string): number;
export function issue15Lines(samples: Samples, pin: { proxy: string; rest: string } | null): string[];
