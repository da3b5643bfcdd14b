import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

/** The end-to-end suites (`test-e2e` target): whole runs in real processes, minutes each. */
export default mergeConfig(sharedTestConfig, defineConfig({ test: { include: ['src/**/*.e2e.test.ts'] } }));
