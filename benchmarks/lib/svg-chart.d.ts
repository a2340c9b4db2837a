// Types of svg-chart.js, for its unit tests (the benchmarks themselves are plain JS).
export interface ChartRow {
  readonly name: string;
  readonly [series: string]: number | string | null | undefined;
}
export function niceCeil(v: number): number;
export function scale(value: number | null | undefined, max: number, length: number): number;
export function escapeXml(s: unknown): string;
export function barPanel(title: string, unit: string, rows: ChartRow[], series: string[], y: number): { svg: string; height: number };
export function scalingPanel(points: { workers: number; rps: number }[], y: number): { svg: string; height: number };
export function workersOf(name: string, row: { workers?: unknown }): number | null;
export function buildChart(results: unknown): string;
