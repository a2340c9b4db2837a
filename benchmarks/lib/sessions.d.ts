// Types of sessions.js, for its unit test (the benchmarks themselves are plain JS).
export declare const NEW_EVERY: number;
export declare const RING: number;
export interface LoadRequest {
  method: string;
  path: string;
  setupRequest(req: { headers?: Record<string, string> }): { headers: Record<string, string> };
}
export declare function learnLoad(tag: string): LoadRequest[];
