import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // *.case.ts files are shared suites imported by real test files, never run directly.
    exclude: ['**/node_modules/**', '**/*.case.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
