import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';

/** Shared test settings: real services, so generous timeouts and one file at a time per package. */
export const sharedTestConfig = defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});

/**
 * For packages whose tests use Redis or PostgreSQL: the global setup starts private, throwaway servers
 * for the vitest run (or takes CAPTIONER_TEST_REDIS_URL / CAPTIONER_TEST_POSTGRES_URL) and sets those
 * variables for the tests. See packages/test-services/README.md.
 */
export const servicesTestConfig = mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      globalSetup: [fileURLToPath(new URL('./packages/test-services/src/global-setup.ts', import.meta.url))],
    },
  }),
);
