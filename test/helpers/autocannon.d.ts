/**
 * The part of autocannon's programmatic API the tests use (the package ships no types).
 * autocannon(opts) returns an EventEmitter that is also a promise of the final result.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
  }

  interface Result {
    requests: { total: number; mean: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    resets: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(opts: Options): Instance;
  export default autocannon;
}
