import { defineConfig } from 'vitest/config';

/** Shared test settings: real services, so generous timeouts and one file at a time per package. */
export const sharedTestConfig = defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
