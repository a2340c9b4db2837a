// Types of pin.js, for its unit tests (the benchmarks themselves are plain JS).
export interface Pin {
  readonly proxy: string;
  readonly rest: string;
}
export function parsePin(value: string | undefined): Pin | null;
export const PIN: Pin | null;
export function pinHarness(): void;
export function proxyCommand(cmd: string, args: string[]): [string, string[]];
