import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

/**
 * The end-to-end suites (`test-e2e` target): whole runs in real processes, minutes each. Spread, not
 * mergeConfig: merging would add this `include` to the shared one (every test) instead of replacing it.
 */
export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, include: ['src/**/*.e2e.test.ts'] },
});
