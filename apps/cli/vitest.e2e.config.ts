import { defineConfig } from 'vitest/config';
import { servicesTestConfig } from '../../vitest.shared.ts';

/**
 * The end-to-end suites (`test-e2e` target): whole runs in real processes, minutes each. Spread, not
 * mergeConfig: merging would add this `include` to the shared one (every test) instead of replacing it.
 * The deadline is generous because a whole run on a loaded 2-core machine can pass 120 s; it is a
 * hang guard, not a speed check.
 */
export default defineConfig({
  ...servicesTestConfig,
  test: {
    ...servicesTestConfig.test,
    include: ['src/**/*.e2e.test.ts'],
    testTimeout: 600_000,
  },
});
