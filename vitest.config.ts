import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // *.case.ts files are shared suites imported by real test files, never run directly.
    // test/attack runs after the rest, alone (vitest.attack.config.ts).
    exclude: ['**/node_modules/**', '**/*.case.ts', 'test/attack/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
