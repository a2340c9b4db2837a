import { defineConfig } from 'vitest/config';

// Attack tests (test/attack): real attack tools (slowhttptest) flood bulwark with hundreds
// of connections and gigabytes for seconds at a time. They run after the main suite, one
// file at a time, so their load never skews the timing of other tests.
export default defineConfig({
  test: {
    include: ['test/attack/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
